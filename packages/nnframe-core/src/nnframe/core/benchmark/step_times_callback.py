"""Per-step wall-clock times of a real training run, for the overhead benchmark."""

from __future__ import annotations

import time
from typing import Any, ClassVar

import lightning as L
import torch


class StepTimesCallback(L.Callback):
    """Records ``perf_counter`` and ``process_time`` at the end of every training step, the last
    loss, and the global RNG state training started from (so a plain loop can replay the same
    random augmentations). Process CPU time is the steadier figure on a shared, loaded machine.

    It only reads clocks, so adding it changes nothing of what it measures. The most recent
    instance is :attr:`last`, for a script that ran ``train(cfg)`` and wants the figures.
    """

    last: ClassVar[StepTimesCallback | None] = None

    def __init__(self) -> None:
        self.times: list[float] = []
        self.cpu_times: list[float] = []
        self.last_loss: float | None = None
        self.rng_state: torch.Tensor | None = None
        StepTimesCallback.last = self

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.rng_state = torch.get_rng_state()
        self.times = [time.perf_counter()]
        self.cpu_times = [time.process_time()]

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        self.times.append(time.perf_counter())
        self.cpu_times.append(time.process_time())
        loss = outputs["loss"] if isinstance(outputs, dict) else outputs
        self.last_loss = loss  # a tensor; read once at the end, not every step (no sync)

    def step_times(self, cpu: bool = False) -> list[float]:
        """Seconds per training step, in order: wall clock, or process CPU time with ``cpu``."""
        marks = self.cpu_times if cpu else self.times
        return [b - a for a, b in zip(marks, marks[1:], strict=False)]
