"""A DDP rank killed mid-run (OOM killer, kill -9): rank 0 says which rank died and where its
log is, in one line, instead of gloo's "Connection reset by peer" traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

TINY = ["data.num_train=512", "data.num_val=64", "data.num_test=32", "data.image_size=16", "data.batch_size=16",
        "trainer.max_epochs=3", "trainer=ddp_cpu", "trainer.devices=2"]


def test_a_killed_rank_is_named_with_its_log(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "nnframe.core.cli", "cls", "train", *TINY, f"hydra.run.dir={tmp_path}",
               "+callbacks.kill._target_=nnframe.core.testing.SignalCallback", "+callbacks.kill.signal=SIGKILL",
               "+callbacks.kill.at_step=5", "+callbacks.kill.rank=1"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env, start_new_session=True)
    output = done.stdout + done.stderr
    assert done.returncode != 0
    (line,) = [line for line in output.splitlines() if line.startswith("nnframe: error:")]
    assert "rank 1 died" in line and "SIGKILL" in line, output[-3000:]
    log = Path(line.split("see its log at ", 1)[1].split()[0].rstrip(".,;:)"))
    assert log.is_file() and log.parent == tmp_path
    assert "Traceback" not in output, output[-3000:]
