"""`nnframe ssl train trainer=ddp_cpu trainer.devices=2`: the kNN monitor under DDP. Every process
embeds the whole labelled bank, scores its shard of the validation queries, and the accuracy is
reduced over both: it equals one process evaluating the same checkpoint. Slow (two processes
each import torch and Lightning)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nnframe.core.testing import compose_task_config
from nnframe.core.training import evaluate

pytestmark = pytest.mark.slow

CONFIGS = "nnframe.ssl.configs"
# Smaller and shorter than the default; the callbacks, loggers and progress bar are the default ones.
TINY = [
    "method.module.hidden_dim=64", "method.module.output_dim=32", "data.num_train=256", "data.num_val=101",
    "data.num_test=32", "data.image_size=16", "data.batch_size=32", "trainer.max_epochs=2", "model.knn_k=10",
]


def test_knn_accuracy_under_ddp_equals_one_process(tmp_path: Path) -> None:
    run_dir = tmp_path / "ddp"
    command = [sys.executable, "-m", "nnframe.core.cli", "ssl", "train", *TINY, "trainer=ddp_cpu",
               "trainer.devices=2", f"hydra.run.dir={run_dir}"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=500)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    ddp = json.loads((run_dir / "run.json").read_text())["metrics"]

    last = run_dir / "checkpoints" / "last.ckpt"
    single = evaluate(compose_task_config(CONFIGS, [*TINY, f"ckpt_path={last}"], output_dir=tmp_path / "eval",
                                          action="eval"))
    # 101 validation images: the ranks score 51 and 50 of them; the reduced accuracy counts all 101.
    assert ddp["val/knn_top1"] == pytest.approx(single["val/knn_top1"], abs=1e-6)
    assert 0.0 <= ddp["val/knn_top1_init"] <= 1.0
