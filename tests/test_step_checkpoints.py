"""``callbacks.checkpoint.every_n_train_steps=N``: ``last.ckpt`` every N steps in every epoch,
and a best checkpoint that holds the very weights whose validation gave its recorded score."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from nnframe.core.testing import compose_task_config
from nnframe.core.training import evaluate, train

pytestmark = pytest.mark.slow

CONFIGS = "nnframe.cls.configs"
# 8 steps per epoch; 3 does not divide it, so step saves fall between validations.
TINY = ["data.num_train=256", "data.num_val=32", "data.num_test=32", "data.image_size=16", "data.batch_size=32",
        "trainer.deterministic=true", "trainer.accelerator=cpu", "seed=7",
        "callbacks.checkpoint.every_n_train_steps=3"]


def _load(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=False)


def test_sigkill_in_the_first_epoch_finds_the_latest_step_checkpoint(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "nnframe.core.cli", "cls", "train", *TINY, "trainer.max_epochs=1",
               "+callbacks.kill._target_=nnframe.core.testing.SignalCallback", "+callbacks.kill.signal=SIGKILL",
               "+callbacks.kill.at_step=7", f"hydra.run.dir={tmp_path}"]
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "OMP_NUM_THREADS": "1"}
    killed = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    # Killed after step 7 of epoch 0, before the first validation: the step-6 save is there.
    assert _load(tmp_path / "checkpoints" / "last.ckpt")["global_step"] == 6


def test_step_checkpoints_in_a_later_epoch(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="injected crash"):
        train(compose_task_config(CONFIGS, [*TINY, "trainer.max_epochs=3",
                                            "+callbacks.crash._target_=nnframe.core.testing.CrashCallback",
                                            "+callbacks.crash.at_step=20"], output_dir=tmp_path))
    assert _load(tmp_path / "checkpoints" / "last.ckpt")["global_step"] == 18  # epoch 2, batch 2


def test_the_best_checkpoint_holds_the_weights_its_score_was_measured_on(tmp_path: Path) -> None:
    train(compose_task_config(CONFIGS, [*TINY, "trainer.max_epochs=3", "test=false"], output_dir=tmp_path))
    last = _load(tmp_path / "checkpoints" / "last.ckpt")
    (state,) = (v for k, v in last["callbacks"].items() if k.startswith("RunCheckpoint"))
    best_path, best_score = Path(state["best_model_path"]), float(state["best_model_score"])
    best = _load(best_path)
    assert best["global_step"] in (8, 16, 24), best["global_step"]  # saved at a validation, not between two
    # Validating those weights again gives the score recorded for them.
    metrics = evaluate(compose_task_config(CONFIGS, [*TINY, f"ckpt_path={best_path}"], output_dir=tmp_path / "eval",
                                           action="eval"))
    assert metrics["val/acc"] == pytest.approx(best_score, abs=1e-6)
