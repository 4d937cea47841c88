"""Stopping at the first NaN or infinite training loss, before it reaches a checkpoint."""

from __future__ import annotations

from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback, ModelCheckpoint

from nnframe.core.errors import TrainingError


class FiniteLossCallback(Callback):
    """Raise :class:`~nnframe.core.errors.TrainingError` when the training loss is not finite.

    Reading a GPU tensor's value waits for the GPU, so on an accelerator the check is deferred:
    each step only folds ``isfinite(loss)`` into a device-side record of the first bad step (no
    synchronisation), which is read every ``check_every_n_steps`` steps and always before a
    checkpoint is written. On the CPU reading is free and every step is checked before
    ``backward``, so the optimizer never steps on a NaN gradient. Either way no checkpoint with
    NaN weights is written: ``last.ckpt`` stays the last good one. The message names the first
    bad step and that checkpoint.

    Args:
        check_every_n_steps: steps between reads of the deferred record (1 checks every step,
            at the cost of one synchronisation per step on an accelerator).
        defer: defer the check (None: on accelerators only).
    """

    def __init__(self, check_every_n_steps: int = 50, defer: bool | None = None) -> None:
        if check_every_n_steps < 1:
            raise ValueError(f"check_every_n_steps must be at least 1, got {check_every_n_steps}")
        self.check_every_n_steps = check_every_n_steps
        self.defer = defer
        self._first_bad: torch.Tensor | None = None  # (step, epoch, batch); step -1 while all finite

    def on_before_backward(self, trainer: L.Trainer, pl_module: L.LightningModule, loss: torch.Tensor) -> None:
        defer = self.defer if self.defer is not None else loss.device.type != "cpu"
        if not defer or self.check_every_n_steps == 1:
            if not bool(torch.isfinite(loss).all()):
                self._raise(trainer, trainer.global_step, trainer.current_epoch,
                            trainer.fit_loop.epoch_loop.batch_idx, float(loss.detach().flatten()[0]))
            return
        here = torch.tensor([trainer.global_step, trainer.current_epoch, trainer.fit_loop.epoch_loop.batch_idx],
                            device=loss.device)
        if self._first_bad is None or self._first_bad.device != loss.device:
            self._first_bad = torch.full((3,), -1, dtype=torch.long, device=loss.device)
        bad = ~torch.isfinite(loss.detach()).all() & (self._first_bad[0] < 0)
        self._first_bad = torch.where(bad, here, self._first_bad)

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, *args: Any) -> None:
        if trainer.global_step % self.check_every_n_steps == 0:
            self._check(trainer)

    def on_save_checkpoint(self, trainer: L.Trainer, pl_module: L.LightningModule,
                           checkpoint: dict[str, Any]) -> None:
        self._check(trainer)  # raising here keeps the file from being written

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._check(trainer)

    def _check(self, trainer: L.Trainer) -> None:
        if self._first_bad is None:
            return
        step, epoch, batch = (int(v) for v in self._first_bad.tolist())
        if step >= 0:
            self._raise(trainer, step, epoch, batch, None)

    @staticmethod
    def _raise(trainer: L.Trainer, step: int, epoch: int, batch: int, value: float | None) -> None:
        checkpoint = trainer.checkpoint_callback
        last = ""
        if isinstance(checkpoint, ModelCheckpoint) and checkpoint.last_model_path:
            last = f"; the last good checkpoint is {checkpoint.last_model_path}"
        what = f"is {value}" if value is not None else "is not finite"
        raise TrainingError(
            f"the training loss {what} at epoch {epoch}, step {step} (batch {batch}){last}. Lower the learning "
            "rate (model.optimizer.lr), clip gradients (trainer.gradient_clip_val=1.0) or check the data for "
            "NaN/inf."
        )
