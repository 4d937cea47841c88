"""Two simulated nodes on this machine: two ``torchrun --nnodes=2 --nproc-per-node=1`` launches of
the real ``nnframe cls train`` command on CPU (gloo), WITHOUT ``hydra.run.dir``. Rank 0 names the
run directory and rank 1 joins it (through torchrun's rendezvous store): one run directory, one
TensorBoard run, one run.json and one set of checkpoints; both ranks end with the same weights
as the checkpoint; Ctrl-C on both nodes saves the run, and the continue command it prints, run on
both nodes, finishes it from the saved step. With ``OMP_NUM_THREADS`` unset, each process takes the
machine's cores divided by the run's processes on it (both "nodes" are on this machine).

Slow: each launch starts two torch processes (about a minute in all on 2 cores)."""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from nnframe.core.testing import weights_digest

pytestmark = pytest.mark.slow

EPOCHS = 12
STEPS_PER_EPOCH = 4  # 128 images, 16 per process, 2 processes
TINY = ["data.num_train=128", "data.num_val=32", "data.num_test=32", "data.image_size=16", "data.batch_size=16",
        f"trainer.max_epochs={EPOCHS}"]
NODES = ["trainer=ddp_cpu", "trainer.devices=1", "trainer.num_nodes=2"]
RECORDER = ["+callbacks.weights._target_=nnframe.core.testing.RankWeightsRecorder"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _torchrun(node: int, port: int, cwd: Path, args: list[str]) -> subprocess.Popen[str]:
    """One node's ``torchrun ... -m nnframe.core.cli <args>``, in its own process group (its terminal),
    output to ``node<node>.log``."""
    torchrun = Path(sys.executable).with_name("torchrun")
    command = [str(torchrun), "--nnodes=2", "--nproc-per-node=1", f"--node-rank={node}",
               "--master-addr=127.0.0.1", f"--master-port={port}", "-m", "nnframe.core.cli", *args]
    # OMP_NUM_THREADS unset, as on a cluster: nnframe sets the threads (cores / processes on the machine).
    env = {**{k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}, "NNFRAME_OUTPUT_DIR": str(cwd / "outputs")}
    log = (cwd / f"node{node}.log").open("w")
    return subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def _finish(nodes: list[subprocess.Popen[str]], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    try:
        for node in nodes:
            node.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        for node in nodes:
            if node.poll() is None:
                os.killpg(node.pid, signal.SIGKILL)


def _output(cwd: Path, node: int) -> str:
    return (cwd / f"node{node}.log").read_text()


def _wait_for(cwd: Path, text: str, nodes: list[subprocess.Popen[str]], timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while text not in _output(cwd, 0):
        if time.monotonic() > deadline or any(node.poll() is not None for node in nodes):
            _finish(nodes, timeout=1)
            pytest.fail(f"no {text!r} in node 0's output:\n{_output(cwd, 0)[-3000:]}")
        time.sleep(0.2)


def _run_dirs(cwd: Path) -> list[Path]:
    return sorted(p for p in (cwd / "outputs" / "cls" / "train").glob("*/*") if p.is_dir())


def test_two_nodes_share_one_run_that_stops_and_resumes_on_both(tmp_path: Path) -> None:
    weights = tmp_path / "weights"
    args = ["cls", "train", *TINY, *NODES, *RECORDER, f"+callbacks.weights.dirpath={weights}"]
    port = _free_port()
    nodes = [_torchrun(node, port, tmp_path, args) for node in (0, 1)]
    _wait_for(tmp_path, "epoch 1:", nodes)  # rank 0's epoch timing line: training is under way
    for node in nodes:
        os.killpg(node.pid, signal.SIGINT)  # Ctrl-C in each node's terminal
    _finish(nodes)
    stopped = _output(tmp_path, 0)
    assert "stopped by Ctrl-C (SIGINT) during training" in stopped, stopped[-3000:]
    (run_dir,) = _run_dirs(tmp_path)  # rank 1 joined rank 0's run directory
    assert json.loads((run_dir / "run.json").read_text())["status"] == "interrupted"
    last = run_dir / "checkpoints" / "last.ckpt"
    saved_step = int(torch.load(last, map_location="cpu", weights_only=False)["global_step"])
    assert 0 < saved_step < EPOCHS * STEPS_PER_EPOCH

    # The continue command rank 0 printed, on both nodes.
    line = next(line for line in stopped.splitlines() if line.startswith("continue: "))
    command = shlex.split(line.removeprefix("continue: "))
    assert command[:3] == ["nnframe", "cls", "train"] and command[-1] == "resume=true"
    port = _free_port()
    nodes = [_torchrun(node, port, tmp_path, command[1:]) for node in (0, 1)]
    _finish(nodes)
    resumed = _output(tmp_path, 0)
    assert [node.returncode for node in nodes] == [0, 0], resumed[-3000:] + _output(tmp_path, 1)[-3000:]
    assert f"Restoring states from the checkpoint path at {last}" in resumed

    assert _run_dirs(tmp_path) == [run_dir]  # still one run: one run.json, one checkpoint folder
    assert json.loads((run_dir / "run.json").read_text())["status"] == "completed"
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir())[-1] == "last.ckpt"
    assert [p.name for p in run_dir.iterdir() if p.name.startswith("version_")] == []
    writers = {p.name.rsplit(".", 2)[1] for p in (run_dir / "tensorboard").glob("events.out.tfevents.*")}
    assert len(writers) == 2  # one TensorBoard run: rank 0's writer of each attempt, nothing of rank 1
    assert (run_dir / "cls_train_rank1.log").is_file()  # rank 1's log beside rank 0's

    # Both ranks ended with the weights of the final checkpoint, after every step.
    ranks = [json.loads((weights / f"weights_rank{rank}.json").read_text()) for rank in (0, 1)]
    checkpoint = torch.load(last, map_location="cpu", weights_only=False)
    # Threads: the 2 "nodes" share this machine, so each of its 2 processes takes half its cores
    # (not all of them, which oversubscribed the cores and ran ~20x slower than trainer=ddp_cpu).
    assert ranks[0] == ranks[1] == {"digest": weights_digest(checkpoint["state_dict"]),
                                    "step": EPOCHS * STEPS_PER_EPOCH, "threads": max(1, (os.cpu_count() or 1) // 2)}
