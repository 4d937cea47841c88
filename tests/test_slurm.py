"""SLURM without a cluster: the submitit launcher's local executor runs a sweep's jobs as
``hydra/launcher=slurm`` runs them on a cluster (each job pickled and run in a process of its
own), and a mocked SLURM job (SLURM_* variables: Lightning's SLURMEnvironment is detected, two
tasks as ``srun`` starts them, a fake ``scontrol`` on the PATH) gets the time-limit signal: both
tasks stop at the same step, save, rank 0 requeues the job, and the job started again continues
its run from the saved step.

Slow: each run starts torch processes (about a minute and a half in all on 2 cores)."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import torch

pytestmark = pytest.mark.slow

TINY = ["data.num_train=128", "data.num_val=32", "data.num_test=32", "data.image_size=16", "data.batch_size=16"]
EPOCHS = 4
STEPS_PER_EPOCH = 4  # 128 images, 16 per task, 2 tasks


def _nnframe(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, "NNFRAME_OUTPUT_DIR": str(cwd / "outputs"), "OMP_NUM_THREADS": "1", **(env or {})}
    return subprocess.Popen([sys.executable, "-m", "nnframe.core.cli", *args], cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _wait(process: subprocess.Popen[str], timeout: float = 300) -> str:
    try:
        return process.communicate(timeout=timeout)[0]
    except subprocess.TimeoutExpired:
        process.kill()
        raise


def test_submitit_local_sweep_runs_each_job_in_its_folder(tmp_path: Path) -> None:
    output = _wait(_nnframe("cls", "train", "-m", "hydra/launcher=submitit_local", *TINY, "trainer.max_epochs=1",
                            "seed=1,2", cwd=tmp_path))
    (sweep,) = (tmp_path / "outputs" / "cls" / "train" / "shapes").iterdir()
    jobs = sorted(p.name for p in sweep.iterdir() if p.is_dir() and not p.name.startswith("."))
    assert jobs == ["0_seed=1", "1_seed=2"], output[-3000:]
    for job in jobs:
        record = json.loads((sweep / job / "run.json").read_text())
        assert record["status"] == "completed", record
        assert (sweep / job / "checkpoints" / "last.ckpt").is_file()
    assert list((sweep / ".submitit").glob("*/*_result.pkl"))  # run by submitit, each in a process of its own


def _fake_scontrol(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "scontrol"
    script.write_text(f'#!/bin/sh\necho "$@" >> {tmp_path / "scontrol.log"}\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return bin_dir


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _slurm_job(tmp_path: Path, args: list[str], restart: int) -> list[str]:
    """Both tasks of a mocked ``srun`` (one node, two tasks) of job 4242; returns their outputs."""
    port = _free_port()
    tasks = []
    for rank in (0, 1):
        env = {"SLURM_JOB_ID": "4242", "SLURM_JOB_NAME": "nnframe", "SLURM_NTASKS": "2", "SLURM_NTASKS_PER_NODE": "2",
               "SLURM_NNODES": "1", "SLURM_NODEID": "0", "SLURM_PROCID": str(rank), "SLURM_LOCALID": str(rank),
               "SLURM_NODELIST": "127.0.0.1", "SLURM_RESTART_COUNT": str(restart), "MASTER_PORT": str(port),
               "PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}"}
        tasks.append(_nnframe(*args, cwd=tmp_path, env=env))
    return [_wait(task) for task in tasks] + [str(task.returncode) for task in tasks]


def _step(path: Path) -> int:
    return int(torch.load(path, map_location="cpu", weights_only=False)["global_step"])


def test_slurm_requeue_signal_saves_requeues_and_the_job_continues(tmp_path: Path) -> None:
    _fake_scontrol(tmp_path)
    args = ["cls", "train", *TINY, f"trainer.max_epochs={EPOCHS}", "trainer=ddp_cpu", "trainer.devices=2",
            "+callbacks.usr1._target_=nnframe.core.testing.SignalCallback", "+callbacks.usr1.signal=SIGUSR1",
            "+callbacks.usr1.at_step=6"]  # SLURM signals every task (#SBATCH --signal=USR1@120)
    out0, out1, code0, code1 = _slurm_job(tmp_path, args, restart=0)
    assert (code0, code1) == ("138", "138"), out0[-3000:] + out1[-3000:]  # 128 + SIGUSR1
    assert "stopped by SIGUSR1 during training at epoch 1, step 6" in out0, out0[-3000:]
    assert "requeued SLURM job 4242" in out0
    assert (tmp_path / "scontrol.log").read_text().split() == ["requeue", "4242"]  # rank 0 alone requeued
    (run_dir,) = (tmp_path / "outputs" / "cls" / "train" / "shapes").iterdir()  # both tasks in one run
    last = run_dir / "checkpoints" / "last.ckpt"
    assert _step(last) == 6
    record = json.loads((run_dir / "run.json").read_text())
    assert (record["status"], record["signal"], record["requeued"]) == ("interrupted", "SIGUSR1", True)

    # SLURM starts the job again with the same command (SLURM_RESTART_COUNT=1): it continues.
    out0, out1, code0, code1 = _slurm_job(tmp_path, args, restart=1)
    assert (code0, code1) == ("0", "0"), out0[-3000:] + out1[-3000:]
    assert f"Restoring states from the checkpoint path at {last}" in out0
    assert [p.name for p in run_dir.parent.iterdir()] == [run_dir.name]
    assert json.loads((run_dir / "run.json").read_text())["status"] == "completed"
    assert _step(last) == EPOCHS * STEPS_PER_EPOCH
    assert (tmp_path / "scontrol.log").read_text().split() == ["requeue", "4242"]
