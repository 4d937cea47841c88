"""One line per training epoch: how its time split between waiting for data and computing."""

from __future__ import annotations

import time
from typing import Any

import lightning as L
from lightning.pytorch.utilities import rank_zero_info


def _images_in(pl_module: L.LightningModule, batch: Any) -> int:
    """Images in a batch, as the task module counts them (``batch_size_of``: a list of images, a
    list of views of the same images); 0 for a module outside the task contract."""
    size_of = getattr(pl_module, "batch_size_of", None)
    return int(size_of(batch)) if callable(size_of) else 0


class EpochTimingCallback(L.Callback):
    """Prints ``epoch N: 12.3 s, 8% waiting for data, 92% compute, 3120 img/s``.

    Data time is the time spent fetching each training batch from its loader (reading, decoding,
    transforming and collating; for ``data.on_device`` the batch's augmentation), timed around
    the fetch itself through the training loop's fetch markers, so the work of other callbacks
    between two steps (a figure drawn at the first step, a logger writing) is not counted as
    waiting for data. Compute is the rest of the training steps; validation is in the epoch's
    seconds but in neither share, nor in img/s (training images per second of training steps).
    A large data share means the input pipeline is the bottleneck (more ``data.num_workers``,
    lighter transforms, ``data.on_device``). On a GPU the compute share also holds kernels still
    running from the previous step, since nothing here synchronises the device (that would slow
    training down).
    """

    def __init__(self) -> None:
        self._data = self._validation = 0.0
        self._images = 0
        self._epoch_start: float | None = None
        self._fetch_start: float | None = None
        self._last_end = self._step_start = self._validation_start = 0.0
        self._first_batch = 0
        self._timed_fetches = False

    def _start(self, batch_idx: int) -> None:
        self._data = self._validation = 0.0
        self._images = 0
        self._epoch_start = self._last_end = time.perf_counter()
        self._first_batch = batch_idx

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._epoch_start = None  # set by the epoch start, or by the first batch of a resumed epoch
        self._timed_fetches = self._time_fetches(trainer)

    def _time_fetches(self, trainer: L.Trainer) -> bool:
        """Wrap the training loop's before/after-fetch markers (Lightning's profiler hooks,
        installed on its data fetcher at each epoch's start); False where this Lightning has none."""
        loop = getattr(getattr(trainer, "fit_loop", None), "epoch_loop", None)
        before, after = getattr(loop, "_on_before_fetch", None), getattr(loop, "_on_after_fetch", None)
        # Wrapped by an earlier fit (or another timing callback): wrap Lightning's own markers again.
        before, after = getattr(before, "_nnframe_original", before), getattr(after, "_nnframe_original", after)
        if not callable(before) or not callable(after):
            return False

        def before_fetch() -> None:
            self._fetch_start = time.perf_counter()
            before()

        def after_fetch() -> None:
            after()
            if self._fetch_start is not None:
                self._data += time.perf_counter() - self._fetch_start
                self._fetch_start = None

        before_fetch._nnframe_original = before  # type: ignore[attr-defined]
        after_fetch._nnframe_original = after  # type: ignore[attr-defined]
        loop._on_before_fetch, loop._on_after_fetch = before_fetch, after_fetch  # type: ignore[union-attr]
        return True

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._start(0)

    def on_train_batch_start(self, trainer: L.Trainer, pl_module: L.LightningModule, batch: Any,
                             batch_idx: int) -> None:
        if self._epoch_start is None:
            # Resumed mid-epoch: Lightning does not call on_train_epoch_start for that epoch.
            self._start(batch_idx)
        self._step_start = time.perf_counter()
        if not self._timed_fetches:  # no fetch markers: everything between two steps counts as data
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
