"""A ``-m`` sweep whose jobs each train on two processes (``trainer=ddp_cpu``): the process that
Lightning starts for rank 1 of each job joins its job's folder (lightning-hydra-template#90 and
#393, Lightning#11300: duplicate output folders), so the sweep holds exactly one folder per job and
``nnframe runs`` lists exactly two runs.

Slow: two jobs of two processes each (about a minute on 2 cores)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nnframe.core.testing import run_cli

pytestmark = pytest.mark.slow

TINY = ["data.num_train=64", "data.num_val=32", "data.num_test=32", "data.image_size=16", "data.batch_size=16",
        "trainer.max_epochs=1"]


def test_sweep_of_two_ddp_jobs_writes_one_folder_per_job(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env = {**os.environ, "NNFRAME_OUTPUT_DIR": str(tmp_path / "outputs"), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "nnframe.core.cli", "cls", "train", "-m", "trainer=ddp_cpu",
                           "trainer.devices=2", *TINY, "seed=1,2"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=400)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    runs = tmp_path / "outputs" / "cls" / "train" / "shapes"
    (sweep,) = runs.iterdir()  # no run folder of a DDP child beside the sweep
    assert sorted(p.name for p in sweep.iterdir() if p.is_dir()) == ["0_seed=1", "1_seed=2"]
    for job in ("0_seed=1", "1_seed=2"):
        folder = sweep / job
        assert (folder / "train_ddp_process_1.log").is_file()  # rank 1 ran in this job's folder
        assert json.loads((folder / "run.json").read_text())["status"] == "completed"
        writers = {p.name.rsplit(".", 2)[1] for p in (folder / "tensorboard").glob("events.out.tfevents.*")}
        assert len(writers) == 1  # one TensorBoard run per job
    code, table = run_cli(capsys, "runs", str(sweep))
    assert code == 0
    listed = [line.split()[1] for line in table.splitlines() if line[:1].isdigit()]
    assert sorted(listed) == ["0_seed=1", "1_seed=2"], table
