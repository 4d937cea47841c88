"""An Optuna study is resumed only by the command that started it: a command with other fixed
overrides (more epochs, more data) is refused with the difference, and the override the error
prints starts a study of its own."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import optuna
import pytest

pytestmark = pytest.mark.slow

TINY = ["data.num_train=64", "data.num_val=32", "data.num_test=32", "data.image_size=16", "data.batch_size=32"]
SWEEP = ["cls", "train", "hparams_search=optuna", "hydra.sweeper.n_trials=1", "hydra.sweeper.sampler.seed=0", *TINY]


def _nnframe(log_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NNFRAME_OUTPUT_DIR": str(log_dir), "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "nnframe.core.cli", *args], capture_output=True, text=True,
                          timeout=600, env=env, cwd=log_dir)


def test_a_changed_command_does_not_resume_the_study(tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path / 'cls' / 'train' / 'shapes' / 'optuna_cls_shapes' / 'optuna.db'}"
    first = _nnframe(tmp_path, *SWEEP, "trainer.max_epochs=1")
    assert first.returncode == 0, (first.stdout + first.stderr)[-3000:]

    changed = _nnframe(tmp_path, *SWEEP, "trainer.max_epochs=2", "data.num_train=96")
    output = changed.stdout + changed.stderr
    assert changed.returncode != 0 and "Traceback" not in output, output[-3000:]
    error = re.search(r"^nnframe: error: (.*)$", output, re.MULTILINE).group(1)
    assert "trainer.max_epochs=1" in error and "trainer.max_epochs=2" in error and "data.num_train=96" in error
    assert len(optuna.load_study(study_name="cls_shapes", storage=storage).trials) == 1  # nothing added

    # Following the hint: the printed override starts a new study, in a directory of its own.
    hint = re.search(r"add (hydra\.sweeper\.study_name=\S+)", error).group(1)
    followed = _nnframe(tmp_path, *SWEEP, "trainer.max_epochs=2", "data.num_train=96", *shlex.split(hint))
    output = followed.stdout + followed.stderr
    assert followed.returncode == 0, output[-3000:]
    name = hint.split("=", 1)[1]
    assert f"Optuna study '{name}' created" in output
    assert (tmp_path / "cls" / "train" / "shapes" / f"optuna_{name}" / "optuna.db").is_file()

    # The first command still resumes its own study.
    again = _nnframe(tmp_path, *SWEEP, "trainer.max_epochs=1")
    assert again.returncode == 0 and "Optuna study 'cls_shapes' resumed" in again.stdout + again.stderr
