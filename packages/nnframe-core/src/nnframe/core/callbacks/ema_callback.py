"""An exponential moving average of the weights, validated and checkpointed (Lightning's
``WeightAveraging``)."""

from __future__ import annotations

from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import WeightAveraging
from lightning.pytorch.trainer.states import TrainerFn
from lightning.pytorch.utilities import rank_zero_info
from torch.optim.swa_utils import get_ema_multi_avg_fn

from nnframe.core.compat.lightning import set_weight_averaging_device, weight_averaging_device
from nnframe.core.errors import ConfigError


class EMACallback(WeightAveraging):
    """Keeps an EMA of the module's parameters and buffers, updated after every optimizer step.

    What Lightning's ``WeightAveraging`` does: the EMA weights are swapped in for every
    validation (so ``val/*`` and the best checkpoint are the EMA's), checkpoints hold them as
    ``state_dict`` (eval, predict and export use them) with the raw weights beside them, a
    resumed run continues the same average, and at the end of training the module keeps the EMA
    weights. Subclassed for four reasons, each a line below: the average lives on the training
    device (Lightning's ``setup`` runs before the module is moved there), a test after fit
    keeps the checkpoint's EMA ``state_dict`` (the parent reloads the raw weights), a
    checkpoint written after training still holds the raw weights beside the EMA (the parent
    has copied the EMA over them by then), and the decay warms up. Not Lightning's
    ``EMAWeightAveraging``: its decay is fixed from the first step (no warm-up).

    Args:
        decay: the EMA decay per step (e.g. 0.9998).
        warmup: follow timm's ``ModelEmaV3`` warm-up, ``decay_t = min(decay, 1 - (1 + t) ** -2/3)``
            at step ``t``, so that a short run (a fine-tune of a few hundred steps) does not
            average mostly its starting weights; False keeps ``decay`` from the first step.
    """

    def __init__(self, decay: float = 0.9998, warmup: bool = True) -> None:
        if not 0 < decay < 1:
            raise ConfigError(f"model.ema_decay={decay} must be in (0, 1) (e.g. 0.9998), or null for no EMA")
        self.decay = decay
        self.warmup = warmup
        self.current_decay = decay
        self._raw_after_training: dict[str, torch.Tensor] | None = None
        super().__init__(use_buffers=True, multi_avg_fn=self._ema_update)

    def decay_at(self, step: int) -> float:
        """The decay used for the update after optimizer step ``step`` (1-based)."""
        if not self.warmup:
            return self.decay
        return min(self.decay, 1.0 - (1.0 + step) ** (-2.0 / 3.0))

    def _ema_update(self, averaged: list[torch.Tensor], current: list[torch.Tensor], count: Any) -> None:
        # The decay is a Python float set per step: reading the step count from the averaged
        # model's tensor would wait for the device every step.
        if torch.is_floating_point(averaged[0]) or torch.is_complex(averaged[0]):
            get_ema_multi_avg_fn(self.current_decay)(averaged, current, count)
        else:  # integer buffers (BatchNorm's num_batches_tracked): torch's EMA would truncate a blend
            for average, value in zip(averaged, current, strict=True):
                average.copy_(value)

    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        if weight_averaging_device(self) is None:  # the module is still on the CPU here; its weights will not be
            set_weight_averaging_device(self, trainer.strategy.root_device)
        super().setup(trainer, pl_module, stage)
        if stage == "fit":
            rank_zero_info(f"model.ema_decay={self.decay}: validating and checkpointing an EMA of the weights"
                           + (" (decay warming up as timm's ModelEmaV3)" if self.warmup else ""))

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        self.current_decay = self.decay_at(trainer.global_step)
        super().on_train_batch_end(trainer, pl_module, outputs, batch, batch_idx)

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._raw_after_training = None

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # ModelCheckpoint may write last.ckpt after this (when nothing was saved before): keep
        # the raw weights it must hold beside the EMA, so a resumed run continues them.
        self._raw_after_training = {k: v.detach().clone() for k, v in pl_module.state_dict().items()}
        super().on_train_end(trainer, pl_module)

    def on_save_checkpoint(self, trainer: L.Trainer, pl_module: L.LightningModule, checkpoint: dict[str, Any]) -> None:
        super().on_save_checkpoint(trainer, pl_module, checkpoint)
        if "current_model_state" not in checkpoint:
            return
        if self._raw_after_training is not None:
            checkpoint["current_model_state"] = self._raw_after_training
        # Entries that are not parameters or buffers (metric states such as the best value so
        # far) are not averaged: the averaged copy holds them as they were at setup.
        averaged = {n for n, _ in pl_module.named_parameters()} | {n for n, _ in pl_module.named_buffers()}
        for name, value in checkpoint["current_model_state"].items():
            if name not in averaged and name in checkpoint["state_dict"]:
                checkpoint["state_dict"][name] = value

    def on_load_checkpoint(self, trainer: L.Trainer, pl_module: L.LightningModule, checkpoint: dict[str, Any]) -> None:
        if trainer.state.fn != TrainerFn.FITTING:
            return  # test/validate/predict use the checkpoint's state_dict: the EMA weights
        super().on_load_checkpoint(trainer, pl_module, checkpoint)
