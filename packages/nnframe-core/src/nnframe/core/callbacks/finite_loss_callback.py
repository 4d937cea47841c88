"""Stopping at the first NaN or infinite training loss, before it reaches a checkpoint."""

from __future__ import annotations

import math
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback, ModelCheckpoint

from nnframe.core.errors import TrainingError


def _distributed(trainer: L.Trainer) -> bool:
    return trainer.world_size > 1 and torch.distributed.is_available() and torch.distributed.is_initialized()


def _reduce_max(trainer: L.Trainer, flags: torch.Tensor) -> torch.Tensor:
    """``flags`` or-ed over every process (the same flags then stop every process together)."""
    if not _distributed(trainer):
        return flags
    reduced = flags.to(torch.uint8)
    torch.distributed.all_reduce(reduced, op=torch.distributed.ReduceOp.MAX)
    return reduced.bool()


def _any_process(trainer: L.Trainer, flag: bool) -> bool:
    """Whether ``flag`` holds on any process (every process calls this at the same step)."""
    if not _distributed(trainer):
        return flag
    return bool(_reduce_max(trainer, torch.tensor([flag], device=trainer.strategy.root_device)).item())


class FiniteLossCallback(Callback):
    """Raise :class:`~nnframe.core.errors.TrainingError` when the training loss is not finite.

    Reading a GPU tensor's value waits for the GPU, so on an accelerator the check is deferred:
    each step only keeps a device-side ``not isfinite(loss)`` flag (no synchronisation); the flags
    are read together every ``check_every_n_steps`` steps and always before a checkpoint is
    written. On the CPU reading is free and every step is checked before
    ``backward``, so the optimizer never steps on a NaN gradient. Either way no checkpoint with
    NaN weights is written: ``last.ckpt`` stays the last good one. The message names the first
    bad step and that checkpoint.

    Under DDP every process decides together (one all-reduce of the flag per check): a loss that
    is not finite on one process alone would otherwise stop that process while the others wait
    for it in the next gradient all-reduce for ever.

    Args:
        check_every_n_steps: steps between reads of the deferred record (1 checks every step,
            at the cost of one synchronisation per step on an accelerator).
        defer: defer the check (None: on accelerators only).
        lr_key: the config key of the learning rate, for the message (the task's ``tune.lr_key``).
    """

    def __init__(self, check_every_n_steps: int = 50, defer: bool | None = None,
                 lr_key: str = "model.optimizer.lr") -> None:
        if check_every_n_steps < 1:
            raise ValueError(f"check_every_n_steps must be at least 1, got {check_every_n_steps}")
        self.check_every_n_steps = check_every_n_steps
        self.defer = defer
        self.lr_key = lr_key
        # Steps not read yet: a device-side "not finite" flag each, and where it was on the host.
        # (No host-to-device copy per step: copying from pageable memory would wait for the GPU.)
        self._pending_flags: list[torch.Tensor] = []
        self._pending_steps: list[tuple[int, int, int]] = []

    def on_before_backward(self, trainer: L.Trainer, pl_module: L.LightningModule, loss: torch.Tensor) -> None:
        defer = self.defer if self.defer is not None else loss.device.type != "cpu"
        if not defer or self.check_every_n_steps == 1:
            # One Python float for a scalar loss: cheaper than building the isfinite tensor.
            values = [float(loss.detach())] if loss.numel() == 1 else loss.detach().flatten().tolist()
            value = next((v for v in values if not math.isfinite(v)), None)
            if _any_process(trainer, value is not None):
                self._raise(trainer, trainer.global_step, trainer.current_epoch,
                            trainer.fit_loop.epoch_loop.batch_idx, value)
            return
        self._pending_flags.append(~torch.isfinite(loss.detach()).all())
        self._pending_steps.append((trainer.global_step, trainer.current_epoch,
                                    trainer.fit_loop.epoch_loop.batch_idx))

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, *args: Any) -> None:
        if trainer.global_step % self.check_every_n_steps == 0:
            self._check(trainer)

    def on_save_checkpoint(self, trainer: L.Trainer, pl_module: L.LightningModule,
                           checkpoint: dict[str, Any]) -> None:
        self._check(trainer)  # raising here keeps the file from being written

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._check(trainer)

    def _check(self, trainer: L.Trainer) -> None:
        if not self._pending_flags:
            return
        # Every process checks at the same steps and before the same checkpoints.
        flags = _reduce_max(trainer, torch.stack(self._pending_flags)).cpu()  # the one synchronisation
        steps, self._pending_flags, self._pending_steps = self._pending_steps, [], []
        if bool(flags.any()):
            step, epoch, batch = steps[int(flags.float().argmax())]
            self._raise(trainer, step, epoch, batch, None)

    def _raise(self, trainer: L.Trainer, step: int, epoch: int, batch: int, value: float | None) -> None:
        checkpoint = trainer.checkpoint_callback
        last = ""
        if isinstance(checkpoint, ModelCheckpoint) and checkpoint.last_model_path:
            last = f"; the last good checkpoint is {checkpoint.last_model_path}"
        what = f"is {value}" if value is not None else "is not finite"
        raise TrainingError(
            f"the training loss {what} at epoch {epoch}, step {step} (batch {batch}){last}. Lower the learning "
            f"rate ({self.lr_key}), clip gradients (trainer.gradient_clip_val=1.0) or check the data for "
            "NaN/inf."
        )
