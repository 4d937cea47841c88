"""Train the head first: the backbone frozen for the first epochs, then the whole network."""

from __future__ import annotations

from typing import Any

import lightning as L
from lightning.pytorch.callbacks import Callback
from lightning.pytorch.strategies import DDPStrategy
from lightning.pytorch.utilities import rank_zero_info
from torch import nn

from nnframe.core.compat.lightning import ddp_kwargs
from nnframe.core.errors import ConfigError


class BackboneFreezeCallback(Callback):
    """Freezes ``pl_module.backbone_module()`` for the first ``epochs`` epochs.

    Frozen means unchanged: no gradients (``requires_grad=False``), eval mode (BatchNorm
    statistics and stochastic depth stand still), and no gradient reaches the optimizer (so
    neither weight decay nor momentum moves it). From epoch ``epochs`` on the whole network
    trains. Which epochs are frozen follows from the epoch alone, so a resumed run freezes the
    same ones.

    Written instead of configuring Lightning's ``BackboneFinetuning``: that one adds the
    backbone to the optimizer as a new parameter group when it unfreezes, which the per-group
    schedules (warm-up + cosine, layer-wise decay) and their checkpointed state do not expect;
    here every parameter is in the optimizer from the start.

    Args:
        epochs: epochs with a frozen backbone (0: none).
    """

    def __init__(self, epochs: int) -> None:
        if not isinstance(epochs, int) or epochs < 0:
            raise ConfigError(f"model.freeze_backbone_epochs={epochs!r} must be an integer >= 0")
        self.epochs = epochs
        self._frozen: list[nn.Parameter] = []
        self._backbone: nn.Module | None = None

    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        if stage != "fit":
            return
        backbone = pl_module.backbone_module() if hasattr(pl_module, "backbone_module") else None
        if backbone is None:
            raise ConfigError(f"model.freeze_backbone_epochs={self.epochs}: {type(pl_module).__name__} has no "
                              "backbone to freeze; set model.freeze_backbone_epochs=0")
        self._backbone = backbone
        strategy = trainer.strategy
        if isinstance(strategy, DDPStrategy) and self.epochs > 0 and not ddp_kwargs(strategy).get(
                "find_unused_parameters", False):
            # DDP expects a gradient for every parameter that required one when it wrapped the model.
            raise ConfigError(f"model.freeze_backbone_epochs={self.epochs} under DDP needs DDP to accept parameters "
                              "without gradients: add trainer.strategy=ddp_find_unused_parameters_true")
        # Only what trains at the start is frozen and unfrozen again.
        self._trainable = [p for p in backbone.parameters() if p.requires_grad]

    def is_frozen(self, epoch: int) -> bool:
        """Whether the backbone is frozen in ``epoch`` (0-based)."""
        return epoch < self.epochs

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        assert self._backbone is not None
        frozen = self.is_frozen(trainer.current_epoch)
        for parameter in self._trainable:
            parameter.requires_grad_(not frozen)
        self._frozen = list(self._trainable) if frozen else []
        if frozen:
            self._backbone.eval()
        elif trainer.current_epoch == self.epochs:
            self._backbone.train(pl_module.training)
        if frozen and trainer.current_epoch == 0 or not frozen and trainer.current_epoch == self.epochs:
            count = sum(p.numel() for p in self._trainable)
            rank_zero_info(f"model.freeze_backbone_epochs={self.epochs}: epoch {trainer.current_epoch}: " + (
                f"backbone frozen ({count:,} parameters), the head trains alone" if frozen
                else "backbone unfrozen, the whole network trains"))

    def on_before_optimizer_step(self, trainer: L.Trainer, pl_module: L.LightningModule, optimizer: Any) -> None:
        # Under DDP a frozen parameter may still receive an all-reduced (zero) gradient; without
        # one the optimizer skips it entirely.
        for parameter in self._frozen:
            parameter.grad = None
