"""One line per training epoch: how its time split between waiting for data and computing."""

from __future__ import annotations

import time
from typing import Any

import lightning as L
import torch
from lightning.pytorch.utilities import rank_zero_info


def _images_in(batch: Any) -> int:
    """Images in a batch: the leading size of its first tensor, through lists of views."""
    while isinstance(batch, list | tuple) and batch:
        batch = batch[0]
    return int(batch.shape[0]) if isinstance(batch, torch.Tensor) and batch.ndim > 0 else 0


class EpochTimingCallback(L.Callback):
    """Prints ``epoch N: 12.3 s, 8% waiting for data, 92% compute, 3120 img/s``.

    Data time is measured from the end of one training batch to the start of the next
    (loading, collating, host-to-device copy); a large share means the input pipeline is the
    bottleneck (more ``data.num_workers``, lighter transforms, ``data.on_device``). On a GPU the
    compute share also holds kernels still running from the previous step, since nothing here
    synchronises the device (that would slow training down).
    """

    def __init__(self) -> None:
        self._data = self._compute = 0.0
        self._images = 0
        self._epoch_start: float | None = None
        self._last_end = self._step_start = 0.0
        self._first_batch = 0

    def _start(self, batch_idx: int) -> None:
        self._data = self._compute = 0.0
        self._images = 0
        self._epoch_start = self._last_end = time.perf_counter()
        self._first_batch = batch_idx

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._epoch_start = None  # set by the epoch start, or by the first batch of a resumed epoch

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._start(0)

    def on_train_batch_start(self, trainer: L.Trainer, pl_module: L.LightningModule, batch: Any,
                             batch_idx: int) -> None:
        if self._epoch_start is None:
            # Resumed mid-epoch: Lightning does not call on_train_epoch_start for that epoch.
            self._start(batch_idx)
        self._step_start = time.perf_counter()
        self._data += self._step_start - self._last_end

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        self._last_end = time.perf_counter()
        self._compute += self._last_end - self._step_start
        self._images += _images_in(batch)

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self._epoch_start is None:  # no batch ran in this process (resumed at the epoch's end)
            return
        total = time.perf_counter() - self._epoch_start
        busy = max(self._data + self._compute, 1e-9)
        resumed = f" (resumed at batch {self._first_batch})" if self._first_batch else ""
        # Under DDP every process takes the same number of images in lockstep (gradient all-reduce).
        processes = f" over {trainer.world_size} processes" if trainer.world_size > 1 else ""
        rank_zero_info(
            f"epoch {trainer.current_epoch}{resumed}: {total:.1f} s, {100 * self._data / busy:.0f}% waiting for data, "
            f"{100 * self._compute / busy:.0f}% compute, "
            f"{trainer.world_size * self._images / max(total, 1e-9):.0f} img/s{processes}"
        )
        self._epoch_start = None
