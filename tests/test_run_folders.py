"""Runs started at the same moment never share a folder: single runs and ``-m`` sweeps."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nnframe.core.resolvers import claiming_run_dirs, run_dir

TINY = ["data.num_train=32", "data.num_val=16", "data.num_test=16", "data.image_size=16", "data.batch_size=16",
        "trainer.max_epochs=1", "trainer.accelerator=cpu"]


def _claim(base: str, barrier, results) -> None:
    barrier.wait()  # every process names its folder within the same few milliseconds
    with claiming_run_dirs():  # as the command line does
        results.put(run_dir(base))


def test_processes_asking_in_the_same_second_get_distinct_folders(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(4), context.Queue()
    processes = [context.Process(target=_claim, args=(str(tmp_path), barrier, results)) for _ in range(4)]
    for process in processes:
        process.start()
    folders = [results.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    assert len(set(folders)) == 4, folders
    assert all(Path(folder).is_dir() for folder in folders)  # claimed: created, not only named


def _start(outputs: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "NNFRAME_OUTPUT_DIR": str(outputs), "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    return subprocess.Popen([sys.executable, "-m", "nnframe.core.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env, cwd=outputs.parent)


def _finish(processes: list[subprocess.Popen[str]]) -> None:
    for process in processes:
        output, _ = process.communicate(timeout=300)
        assert process.returncode == 0, output[-3000:]


@pytest.mark.slow
def test_four_runs_started_together_get_four_folders(tmp_path: Path) -> None:
    outputs = tmp_path / "outputs"
    _finish([_start(outputs, "cls", "train", *TINY) for _ in range(4)])
    runs = sorted((outputs / "cls" / "train" / "shapes").iterdir())
    assert len(runs) == 4, runs
    for run in runs:
        assert json.loads((run / "run.json").read_text())["status"] == "completed"
        assert (run / "checkpoints" / "last.ckpt").is_file()
        # TensorBoard events of one process: <time>.<host>.<pid>.<n>
        pids = {path.name.split(".")[-2] for path in (run / "tensorboard").glob("events.out.tfevents.*")}
        assert len(pids) == 1, pids


@pytest.mark.slow
def test_two_identical_sweeps_started_together_write_distinct_job_folders(tmp_path: Path) -> None:
    outputs = tmp_path / "outputs"
    sweep = ["cls", "train", "-m", *TINY, "test=false", "model.optimizer.lr=0.01,0.02"]
    _finish([_start(outputs, *sweep) for _ in range(2)])
    sweeps = sorted((outputs / "cls" / "train" / "shapes").iterdir())
    assert len(sweeps) == 2, sweeps
    jobs = sorted(run for folder in sweeps for run in folder.iterdir() if run.is_dir() and run.name[0].isdigit())
    assert len(jobs) == 4, jobs
    for job in jobs:
        assert json.loads((job / "run.json").read_text())["status"] == "completed"
    listed = subprocess.run([sys.executable, "-m", "nnframe.core.cli", "runs", str(outputs)], capture_output=True,
                            text=True, timeout=120)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.count("completed") == 4, listed.stdout
