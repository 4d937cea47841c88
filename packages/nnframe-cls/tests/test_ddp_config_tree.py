"""``trainer=ddp_cpu`` prints the config tree once (rank 0), not a second one from the worker
process Lightning starts, whose relaunch gives every group "null"."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_ddp_prints_one_config_tree(tmp_path: Path) -> None:
    env = {**os.environ, "NNFRAME_OUTPUT_DIR": str(tmp_path / "outputs"), "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "nnframe.core.cli", "cls", "train", "trainer=ddp_cpu", "data.num_train=64",
         "data.num_val=32", "data.num_test=32", "data.image_size=16", "data.batch_size=16", "trainer.max_epochs=1"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert output.count("CONFIG\n") == 1 and "└── null" not in output, output[-3000:]
