"""Stopping at the first NaN or infinite training loss, before it reaches the weights."""

from __future__ import annotations

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback, ModelCheckpoint

from nnframe.core.errors import TrainingError


class FiniteLossCallback(Callback):
    """Raise :class:`~nnframe.core.errors.TrainingError` when the training loss is not finite.

    The check runs before ``backward``, so the optimizer never steps on a NaN gradient and no
    checkpoint with NaN weights is written: ``last.ckpt`` stays the last good one. The message
    names the epoch, the step and that checkpoint.
    """

    def on_before_backward(self, trainer: L.Trainer, pl_module: L.LightningModule, loss: torch.Tensor) -> None:
        if torch.isfinite(loss).all():
            return
        checkpoint = trainer.checkpoint_callback
        last = ""
        if isinstance(checkpoint, ModelCheckpoint) and checkpoint.last_model_path:
            last = f"; the last good checkpoint is {checkpoint.last_model_path}"
        raise TrainingError(
            f"the training loss is {loss.item()} at epoch {trainer.current_epoch}, step {trainer.global_step} "
            f"(batch {trainer.fit_loop.epoch_loop.batch_idx}){last}. Lower the learning rate "
            "(model.optimizer.lr), clip gradients (trainer.gradient_clip_val=1.0) or check the data for NaN/inf."
        )
