"""A SIGTERM delivered twice at once (``timeout`` or ``uv run`` forwarding what the process
already got, a scheduler signalling every process of the job) is one stop request: the run saves
its checkpoint and says how to continue; only a signal that comes later stops at once."""

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

from nnframe.core.training import stop_signals

TINY = ["data.num_train=64", "data.num_val=16", "data.num_test=16", "data.image_size=16", "data.batch_size=16",
        "trainer.max_epochs=200", "trainer.accelerator=cpu"]


def test_the_watchdog_takes_signals_close_together_as_one_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stop_signals, "SAME_REQUEST_WINDOW_S", 0.5)
    previous = signal.signal(signal.SIGTERM, lambda *_: None)  # the wakeup fd needs a Python handler
    stopped: list[int] = []
    watchdog = stop_signals._SecondSignalWatchdog([None], stopped.append)
    watchdog.start()
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.1)
        os.kill(os.getpid(), signal.SIGTERM)  # the same request, delivered again
        time.sleep(0.2)
        assert stopped == []
        time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGTERM)  # a new request after the window
        watchdog.join(timeout=5)
        assert stopped == [signal.SIGTERM]
    finally:
        watchdog.close()
        signal.signal(signal.SIGTERM, previous)


@pytest.mark.slow
def test_a_sigterm_delivered_twice_saves_and_says_how_to_continue(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "nnframe.core.cli", "cls", "train", *TINY, f"hydra.run.dir={tmp_path}"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if line.startswith("epoch 1"):  # training: epochs are short, 200 of them
            # `timeout ... uv run nnframe`, or a scheduler signalling every process of the job: the
            # wrapper forwards the SIGTERM the process already got, a moment later.
            process.send_signal(signal.SIGTERM)
            time.sleep(0.1)
            process.send_signal(signal.SIGTERM)
            break
    output = "".join(lines) + process.communicate(timeout=300)[0]
    assert process.returncode == 143, output[-3000:]
    assert "stopping at once" not in output, output[-3000:]
    record = json.loads((tmp_path / "run.json").read_text())
    assert (record["status"], record["signal"]) == ("interrupted", "SIGTERM")
    last = tmp_path / "checkpoints" / "last.ckpt"
    assert torch.load(last, map_location="cpu", weights_only=False)["global_step"] == record["step"]
    assert f"step {record['step']}\n" in output and f"continue: {record['continue']}" in output
    assert record["continue"].startswith("nnframe cls train ") and record["continue"].endswith("resume=true")
