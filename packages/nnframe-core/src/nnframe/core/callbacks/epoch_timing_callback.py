"""One line per training epoch: how its time split between waiting for data and computing."""

from __future__ import annotations

import time
from typing import Any

import lightning as L
from lightning.pytorch.utilities import rank_zero_info

from nnframe.core.data.loading.fetch_timing import TimedFetches


def _images_in(pl_module: L.LightningModule, batch: Any) -> int:
    """Images in a batch, as the task module counts them (``batch_size_of``: a list of images, a
    list of views of the same images); 0 for a module outside the task contract."""
    size_of = getattr(pl_module, "batch_size_of", None)
    return int(size_of(batch)) if callable(size_of) else 0


class EpochTimingCallback(L.Callback):
    """Prints ``epoch N: 12.3 s, 8% waiting for data, 92% compute, 3120 img/s``.

    Data time is the time spent fetching each training batch from its loader (reading, decoding,
    transforming and collating; for ``data.on_device`` the batch's augmentation), timed around
    each ``__next__`` of the loader's iterator by the loader itself
    (:class:`~nnframe.core.data.loading.fetch_timing.TimedFetches`, which the datamodules' training
    loaders are), so the work of other callbacks between two steps (a figure drawn at the first
    step, a logger writing) is not counted as waiting for data. A loader that does not time its
    fetches (a user's own) gets the time between two steps instead. Compute is the rest of the
    training steps; validation is in the epoch's seconds but in neither share, nor in img/s
    (training images per second of training steps). A large data share means the input pipeline
    is the bottleneck (more ``data.num_workers``, lighter transforms, ``data.on_device``). On a
    GPU the compute share also holds kernels still running from the previous step, since nothing
    here synchronises the device (that would slow training down).
    """

    def __init__(self) -> None:
        self._data = self._validation = 0.0
        self._images = 0
        self._epoch_start: float | None = None
        self._last_end = self._step_start = self._validation_start = 0.0
        self._first_batch = 0
        self._loader: TimedFetches | None = None  # the epoch's training loader, where it times its fetches
        self._fetched_before = 0.0  # its fetch_seconds at the epoch's start

    def _start(self, trainer: L.Trainer, batch_idx: int) -> None:
        self._data = self._validation = 0.0
        self._images = 0
        self._epoch_start = self._last_end = time.perf_counter()
        self._first_batch = batch_idx
        # Read at every epoch: Lightning re-creates the loader (DDP's sampler, reload_dataloaders_every_n_epochs).
        loader = trainer.train_dataloader
        self._loader = loader if isinstance(loader, TimedFetches) else None
        self._fetched_before = self._loader.fetch_seconds if self._loader is not None else 0.0

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._epoch_start = None  # set by the epoch start, or by the first batch of a resumed epoch

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._start(trainer, 0)

    def on_train_batch_start(self, trainer: L.Trainer, pl_module: L.LightningModule, batch: Any,
                             batch_idx: int) -> None:
        if self._epoch_start is None:
            # Resumed mid-epoch: Lightning does not call on_train_epoch_start for that epoch.
            self._start(trainer, batch_idx)
        self._step_start = time.perf_counter()
        if self._loader is None:  # a loader that does not time its fetches: everything between two steps
            self._data += self._step_start - self._last_end

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        self._last_end = time.perf_counter()
        self._images += _images_in(pl_module, batch)

    def on_validation_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._validation_start = time.perf_counter()

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self._epoch_start is not None and not trainer.sanity_checking:
            self._validation += time.perf_counter() - self._validation_start

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self._epoch_start is None:  # no batch ran in this process (resumed at the epoch's end)
            return
        now = time.perf_counter()
        total = now - self._epoch_start
        # The training steps: the epoch less its validation runs (mid-epoch ones included).
        training = max(total - self._validation, 1e-9)
        if self._loader is not None:
            self._data = self._loader.fetch_seconds - self._fetched_before
        data = min(self._data, training)
        resumed = f" (resumed at batch {self._first_batch})" if self._first_batch else ""
        # Under DDP every process takes the same number of images in lockstep (gradient all-reduce).
        processes = f" over {trainer.world_size} processes" if trainer.world_size > 1 else ""
        rank_zero_info(
            f"epoch {trainer.current_epoch}{resumed}: {total:.1f} s, {100 * data / training:.0f}% waiting for data, "
            f"{100 * (1 - data / training):.0f}% compute, "
            f"{trainer.world_size * self._images / training:.0f} img/s{processes}"
        )
        self._epoch_start = None
