"""`trainer=ddp_cpu trainer.devices=2` from the same command: Lightning re-launches the command
for rank 1 into the same run directory; rank 0 alone writes checkpoints and logs.

Slow (about 90 s on a 2-core machine: three processes each import torch and Lightning)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nnframe.core.testing import QUIET_RUN, compose_task_config
from nnframe.core.training import evaluate

CONFIGS = "nnframe.cls.configs"
TINY = [
    *QUIET_RUN,
    "data.num_train=128",
    "data.num_val=32",
    "data.num_test=32",
    "data.image_size=16",
    "trainer.max_epochs=1",
    "seed=7",
]


@pytest.mark.slow
def test_two_process_ddp_on_cpu_writes_one_run_and_reduces_metrics(tmp_path: Path) -> None:
    run_dir = tmp_path / "outputs" / "ddp"
    command = [sys.executable, "-m", "nnframe.core.cli", "cls", "train", *TINY, "trainer=ddp_cpu",
               "trainer.devices=2", "data.batch_size=16", f"hydra.run.dir={run_dir}"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=500)
    assert done.returncode == 0, done.stderr[-3000:]

    # One run directory; rank 1 only adds its log file to it.
    assert sorted(p.name for p in (tmp_path / "outputs").iterdir()) == ["ddp"]
    assert (run_dir / "train_ddp_process_1.log").is_file()
    checkpoints = sorted(p.name for p in (run_dir / "checkpoints").iterdir())
    assert len(checkpoints) == 2 and checkpoints[1] == "last.ckpt"  # best + last, each written once
    assert not list(run_dir.rglob("version_*"))
    ddp = json.loads((run_dir / "run.json").read_text())["metrics"]

    # Metrics are reduced over both ranks: one process evaluating the same weights on the
    # whole validation split gets the same values.
    last = run_dir / "checkpoints" / "last.ckpt"
    check = evaluate(compose_task_config(CONFIGS, [*TINY, "logger=csv", f"ckpt_path={last}"],
                                         output_dir=tmp_path / "eval", action="eval"))
    assert check["val/acc"] == pytest.approx(ddp["val/acc"], abs=1e-6)
    assert check["val/loss"] == pytest.approx(ddp["val/loss"], rel=1e-4)

