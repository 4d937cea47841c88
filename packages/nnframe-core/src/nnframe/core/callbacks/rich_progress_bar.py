"""Lightning's Rich progress bar, updated every N training steps instead of every step, and safe
under DDP."""

from __future__ import annotations

import sys
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import RichProgressBar as _LightningRichProgressBar
from lightning.pytorch.callbacks.progress.rich_progress import ProcessingSpeedColumn
from rich.text import Text

from nnframe.core.compat.lightning import update_progress_bar_metrics

# Rich cuts everything at 80 columns when the output is not a terminal (a log file, CI).
OFF_TERMINAL_WIDTH = 160


class _SpeedColumn(ProcessingSpeedColumn):
    """Steps per second, or nothing while unknown (Lightning shows ``0.00it/s``, e.g. on a bar
    updated once): a finished bar shows its whole-run speed."""

    def render(self, task: Any) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:.2f}it/s" if speed else "", style=self.style)


class RichProgressBar(_LightningRichProgressBar):
    """A :class:`lightning.pytorch.callbacks.RichProgressBar` that reads the logged metrics and
    asks for a redraw only every ``refresh_rate`` training steps (and at the last one).

    Lightning's bar does both after every step: reading the metrics converts the logged tensors
    to Python floats (a device synchronisation on a GPU) and every redraw request wakes Rich's
    render thread, which competes with the training loop for the GIL. With small, fast steps
    that costs several per cent of the throughput (see ``benchmarks/overhead.py``).

    It also never reads the metrics at the end of a training epoch. There, Lightning's bar
    (enabled on rank 0 only) asks for the epoch values before they are computed, which computes
    the ``sync_dist`` ones: a collective on rank 0 alone, while the other ranks are already in
    the next one (e.g. ``MetricCollection.compute``'s all-gather) -- a DDP deadlock
    (Lightning issue #21264). The epoch values appear at the next update instead, once every
    rank has computed them (the next epoch's first refresh, validation end, or the end of fit).

    Args:
        refresh_rate: update the bar every N training steps (0 hides it).
        leave: keep the finished bars on screen.
        **kwargs: other :class:`lightning.pytorch.callbacks.RichProgressBar` arguments.
    """

    def __init__(self, refresh_rate: int = 10, leave: bool = False, **kwargs: Any) -> None:
        if not sys.stdout.isatty():
            kwargs["console_kwargs"] = {"width": OFF_TERMINAL_WIDTH, **(kwargs.get("console_kwargs") or {})}
        super().__init__(refresh_rate=refresh_rate, leave=leave, **kwargs)

    def configure_columns(self, trainer: L.Trainer) -> list:
        return [_SpeedColumn(self.theme.processing_speed) if isinstance(c, ProcessingSpeedColumn) else c
                for c in super().configure_columns(trainer)]

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        total = self.total_train_batches
        last = isinstance(total, int | float) and batch_idx + 1 >= total
        if self.refresh_rate and ((batch_idx + 1) % int(self.refresh_rate) == 0 or last):
            super().on_train_batch_end(trainer, pl_module, outputs, batch, batch_idx)

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.refresh()  # no metrics here: see the class docstring

    def on_exception(self, trainer: L.Trainer, pl_module: L.LightningModule, exception: BaseException) -> None:
        # A stopped run says where it stopped; a half-filled bar left on screen says nothing more.
        if self.progress is not None:
            for task in self.progress.tasks:
                task.visible = False
        super().on_exception(trainer, pl_module, exception)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # The last epoch's values, computed on every rank by now (a read of cached values).
        update_progress_bar_metrics(self, trainer, pl_module)
        self.refresh()
