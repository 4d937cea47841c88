"""``nnframe cls eval`` and ``predict`` show the progress bar that training shows (the callbacks'
``progress_bar`` entry): a long evaluation is not silent."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nnframe.core.testing import write_image_folder

pytestmark = pytest.mark.slow

TINY = ["data.num_train=64", "data.num_val=32", "data.num_test=32", "data.image_size=16", "data.batch_size=16"]


def _nnframe(cwd: Path, *args: str) -> str:
    env = {**os.environ, "NNFRAME_OUTPUT_DIR": str(cwd / "outputs"), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "nnframe.core.cli", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd, env=env)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    return output


def test_eval_and_predict_show_the_progress_bar(tmp_path: Path) -> None:
    _nnframe(tmp_path, "cls", "train", *TINY, "trainer.max_epochs=1", f"hydra.run.dir={tmp_path / 'run'}")
    checkpoint = f"ckpt_path={tmp_path / 'run' / 'checkpoints' / 'last.ckpt'}"
    output = _nnframe(tmp_path, "cls", "eval", checkpoint, "test=true")
    assert "Validation ━" in output and "Testing ━" in output, output[-3000:]
    images = write_image_folder(tmp_path / "images", {"new": 3}, size=(16, 16))
    output = _nnframe(tmp_path, "cls", "predict", checkpoint, f"predict.input_dir={images}")
    assert "Predicting ━" in output, output[-3000:]
    # callbacks.progress_bar=null switches it off, as in training
    output = _nnframe(tmp_path, "cls", "eval", checkpoint, "callbacks.progress_bar=null")
    assert "Validation ━" not in output
