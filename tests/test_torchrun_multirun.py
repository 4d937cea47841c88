"""A ``-m`` sweep launched by ``torchrun --nproc-per-node=2`` (each process runs the whole sweep,
each job trains on both): rank 0 names the sweep folder and rank 1 follows, so the sweep holds
exactly one folder per job; the second job reuses the process group (a new one would meet the
first job's stale addresses in torchrun's store).

Slow: two jobs on two processes (about a minute on 2 cores)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

TINY = ["data.num_train=64", "data.num_val=32", "data.num_test=32", "data.image_size=16", "data.batch_size=16",
        "trainer.max_epochs=1"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_sweep_under_torchrun_writes_one_folder_per_job(tmp_path: Path) -> None:
    torchrun = Path(sys.executable).with_name("torchrun")
    env = {**os.environ, "NNFRAME_OUTPUT_DIR": str(tmp_path / "outputs"), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([str(torchrun), "--nnodes=1", "--nproc-per-node=2", "--master-addr=127.0.0.1",
                           f"--master-port={_free_port()}", "-m", "nnframe.core.cli", "cls", "train", "-m",
                           "trainer=ddp_cpu", *TINY, "seed=1,2"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=400)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    (sweep,) = (tmp_path / "outputs" / "cls" / "train" / "shapes").iterdir()  # one sweep folder for both ranks
    assert sorted(p.name for p in sweep.iterdir() if p.is_dir()) == ["0_seed=1", "1_seed=2"]
    for job in ("0_seed=1", "1_seed=2"):
        folder = sweep / job
        assert (folder / "cls_train_rank1.log").is_file()  # rank 1 ran this job in this folder
        assert json.loads((folder / "run.json").read_text())["status"] == "completed"
        writers = {p.name.rsplit(".", 2)[1] for p in (folder / "tensorboard").glob("events.out.tfevents.*")}
        assert len(writers) == 1  # one TensorBoard run per job
    assert output.count(f"sweep: 2 runs in {sweep}") == 1  # the table once, from rank 0
