"""A grid of validation images with targets and predictions, every few epochs."""

from __future__ import annotations

from typing import Any

import lightning as L
import matplotlib.pyplot as plt
import torch
from lightning.pytorch.utilities import rank_zero_only

from nnframe.core.callbacks._tensorboard import tensorboard_writer


class PredictionGridCallback(L.Callback):
    """Logs ``val/predictions``: the first validation batch drawn by the task module.

    The module's ``prediction_figure(images, target, preds)`` draws the figure, so the same
    callback serves classification (labels) and segmentation (mask overlays).

    Args:
        num_images: images in the grid.
        every_n_epochs: draw every N validation epochs.
    """

    def __init__(self, num_images: int = 18, every_n_epochs: int = 1) -> None:
        self.num_images = num_images
        self.every_n_epochs = every_n_epochs
        self._sample: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None

    def _due(self, trainer: L.Trainer) -> bool:
        return not trainer.sanity_checking and trainer.current_epoch % self.every_n_epochs == 0

    def on_validation_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any,
                                batch: Any, batch_idx: int, dataloader_idx: int = 0) -> None:
        if batch_idx != 0 or dataloader_idx != 0 or not self._due(trainer) or not isinstance(outputs, dict):
            return
        if "preds" not in outputs or "target" not in outputs:
            return
        n = self.num_images
        self._sample = (batch[0][:n].detach().cpu(), outputs["target"][:n].detach().cpu(),
                        outputs["preds"][:n].detach().cpu())

    @rank_zero_only
    def on_validation_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self._sample is None:
            return
        images, target, preds = self._sample
        self._sample = None
        writer = tensorboard_writer(trainer)
        draw = getattr(pl_module, "prediction_figure", None)
        if writer is None or draw is None:
            return
        figure = draw(images, target, preds)
        if figure is not None:
            writer.add_figure("val/predictions", figure, global_step=trainer.global_step)
            plt.close(figure)
