"""A DDP run (`trainer=ddp_cpu trainer.devices=2`, default callbacks) told to stop stops all its
processes at the same step: SIGTERM to rank 1 alone saves last.ckpt and ends both processes with
143; Ctrl-C in the terminal (SIGINT to the whole process group) ends them with 130; a second
Ctrl-C ends a run whose processes are stuck (here: blocked in a sleep, as in a hung collective).
Slow: each run starts two processes that import torch and Lightning."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from nnframe.core.training.stop_signals import SAME_REQUEST_WINDOW_S

pytestmark = pytest.mark.slow

TINY = ["data.num_train=512", "data.num_val=64", "data.num_test=32", "data.image_size=16", "data.batch_size=16",
        "trainer.max_epochs=3", "trainer=ddp_cpu", "trainer.devices=2"]


def _start(run_dir: Path, *overrides: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "nnframe.core.cli", "cls", "train", *TINY, *overrides, f"hydra.run.dir={run_dir}"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                            start_new_session=True)  # its own process group, as a terminal's job


def _group_is_gone(process: subprocess.Popen[str]) -> bool:
    try:
        os.killpg(process.pid, 0)
    except ProcessLookupError:
        return True
    return False


def _wait(process: subprocess.Popen[str], timeout: float = 300) -> str:
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        raise
    for _ in range(50):  # rank 1 exits right after rank 0
        if _group_is_gone(process):
            break
        time.sleep(0.1)
    assert _group_is_gone(process), "a process of the run is still alive"
    return output


def _step(path: Path) -> int:
    return int(torch.load(path, map_location="cpu", weights_only=False)["global_step"])


def test_sigterm_to_rank_1_alone_stops_both_processes_at_the_same_step(tmp_path: Path) -> None:
    process = _start(tmp_path, "+callbacks.term._target_=nnframe.core.testing.SignalCallback",
                     "+callbacks.term.signal=SIGTERM", "+callbacks.term.at_step=20", "+callbacks.term.rank=1")
    output = _wait(process)
    assert process.returncode == 143, output[-3000:]
    last = tmp_path / "checkpoints" / "last.ckpt"
    assert _step(last) == 20  # 16 steps per epoch: mid-epoch 1, right after the signalled step
    assert "stopped by SIGTERM during training at epoch 1, step 20" in output and f"saved {last}" in output
    record = json.loads((tmp_path / "run.json").read_text())
    assert (record["status"], record["signal"], record["step"]) == ("interrupted", "SIGTERM", 20)


def _start_and_interrupt(run_dir: Path, wait_for: str, presses: int, *overrides: str,
                         gap: float = 1.0) -> tuple[int, str]:
    process = _start(run_dir, *overrides)
    lines = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        if wait_for in line:
            for _ in range(presses):
                time.sleep(gap)
                os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
            break
    output = "".join(lines) + _wait(process)
    return process.returncode, output


def test_ctrl_c_stops_every_process(tmp_path: Path) -> None:
    # Epochs of ~0.3 s: 30 of them, so that Ctrl-C a second after the first lands in training.
    code, output = _start_and_interrupt(tmp_path, "epoch 0:", 1, "trainer.max_epochs=30")
    assert code == 130, output[-3000:]
    assert "stopped by Ctrl-C (SIGINT) during training" in output
    assert json.loads((tmp_path / "run.json").read_text())["status"] == "interrupted"
    assert (tmp_path / "checkpoints" / "last.ckpt").is_file()


def test_second_ctrl_c_ends_processes_stuck_in_c(tmp_path: Path) -> None:
    # A person's second Ctrl-C, after the window in which a repeated signal is the same request.
    code, output = _start_and_interrupt(tmp_path, "hanging after step 3", 2,
                                        "+callbacks.hang._target_=nnframe.core.testing.HangCallback",
                                        "+callbacks.hang.at_step=3", gap=SAME_REQUEST_WINDOW_S + 1)
    assert code == 130, output[-3000:]
    assert "again: stopping at once" in output
    record = json.loads((tmp_path / "run.json").read_text())
    assert record["status"] == "interrupted" and record["stopped_at_once"] is True
