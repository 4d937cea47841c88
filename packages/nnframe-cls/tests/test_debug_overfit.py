"""``debug=overfit`` (its YAML: "the loss should go to ~0, else the model or loss is broken") on the
default model and data through the real command: the same batches every epoch, so a healthy model
memorises them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nnframe.core.testing.nnframe_process import run_nnframe

pytestmark = pytest.mark.slow


def test_debug_overfit_drives_the_default_models_loss_to_near_zero(tmp_path: Path) -> None:
    run_nnframe("cls", "train", "debug=overfit", "data.num_train=512", cwd=tmp_path)
    (record,) = (tmp_path / "outputs" / "cls" / "train").glob("*/*/run.json")
    metrics = json.loads(record.read_text())["metrics"]
    assert metrics["train/acc"] == 1.0 and metrics["train/loss_epoch"] < 0.05, metrics
