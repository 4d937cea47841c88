"""RunCheckpoint's options: step saves write last.ckpt, so they need it."""

from __future__ import annotations

import pytest

from nnframe.core.callbacks import RunCheckpoint
from nnframe.core.errors import ConfigError


def test_step_saves_without_last_checkpoint_are_refused_with_the_fix(tmp_path) -> None:
    with pytest.raises(ConfigError, match=r"keep callbacks\.checkpoint\.save_last=true"):
        RunCheckpoint(dirpath=tmp_path, every_n_train_steps=3, save_last=False)
    # The fix it names works; the step trigger is RunCheckpoint's own, Lightning keeps its epoch cadence.
    checkpoint = RunCheckpoint(dirpath=tmp_path, every_n_train_steps=3, save_last=True)
    assert checkpoint.every_n_train_steps == 3 and checkpoint.every_n_epochs == 1
