"""Start-up time: seconds from the process start to the first training step."""

from __future__ import annotations

import os
import time
from typing import Any

import lightning as L
from lightning.pytorch.utilities import rank_zero_info

START_ENV = "NNFRAME_START_TIME"


def process_start_time() -> float:
    """``time.time()`` at which this process started (``NNFRAME_START_TIME`` when set by a launcher)."""
    if os.environ.get(START_ENV):
        return float(os.environ[START_ENV])
    try:  # /proc/self/stat field 22: start time in clock ticks after boot
        with open("/proc/self/stat", encoding="utf-8") as stat:
            ticks = int(stat.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime", encoding="utf-8") as uptime:
            boot = time.time() - float(uptime.read().split()[0])
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.time()


class FirstStepTimerCallback(L.Callback):
    """Prints ``first training step after X s`` once, when the first training batch starts.

    Add it to a run with ``+callbacks.first_step._target_=nnframe.core.benchmark.FirstStepTimerCallback``.
    """

    def __init__(self) -> None:
        self.seconds: float | None = None

    def on_train_batch_start(self, trainer: L.Trainer, pl_module: L.LightningModule, batch: Any,
                             batch_idx: int) -> None:
        if self.seconds is None:
            self.seconds = time.time() - process_start_time()
            rank_zero_info(f"first training step after {self.seconds:.2f} s")
