"""A grid of validation images with targets and predictions, every few epochs."""

from __future__ import annotations

from typing import Any

import lightning as L
import matplotlib.pyplot as plt
import torch
from lightning.pytorch.utilities import rank_zero_only

from nnframe.core.benchmark.synthetic_batch import map_tensors
from nnframe.core.callbacks._tensorboard import tensorboard_writer
from nnframe.core.modules.not_applicable import not_applicable


def _first(value: Any, n: int) -> Any:
    """The first ``n`` samples of a batched value (a tensor or a list), on the CPU."""
    if isinstance(value, torch.Tensor | list | tuple):
        value = value[:n]
    return map_tensors(value, lambda t: t.detach().cpu())


class PredictionGridCallback(L.Callback):
    """Logs ``val/predictions``: the first validation batch drawn by the task module.

    The module's ``prediction_figure(images, target, preds)`` draws the figure (``images`` as its
    ``batch_images`` gives them, ``target`` and ``preds`` as its validation step returns them, the
    first ``num_images`` of each), so the same callback serves classification (labels) and
    segmentation (mask overlays). A module that draws none is named once as not applicable.

    Args:
        num_images: images in the grid.
        every_n_epochs: draw every N validation epochs.
    """

    def __init__(self, num_images: int = 18, every_n_epochs: int = 1) -> None:
        self.num_images = num_images
        self.every_n_epochs = every_n_epochs
        self._sample: tuple[Any, Any, Any] | None = None

    def _due(self, trainer: L.Trainer) -> bool:
        return not trainer.sanity_checking and trainer.current_epoch % self.every_n_epochs == 0

    def on_validation_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any,
                                batch: Any, batch_idx: int, dataloader_idx: int = 0) -> None:
        if batch_idx != 0 or dataloader_idx != 0 or not self._due(trainer):
            return
        if not isinstance(outputs, dict) or "preds" not in outputs or "target" not in outputs:
            not_applicable("val/predictions figure", f"{type(pl_module).__name__}'s validation step returns "
                           "no preds and target")
            return
        images = pl_module.batch_images(batch)  # type: ignore[operator]
        n = self.num_images
        self._sample = (_first(images, n), _first(outputs["target"], n), _first(outputs["preds"], n))

    @rank_zero_only
    def on_validation_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self._sample is None:
            return
        images, target, preds = self._sample
        self._sample = None
        writer = tensorboard_writer(trainer)
        draw = getattr(pl_module, "prediction_figure", None)
        if writer is None:
            return
        figure = draw(images, target, preds) if draw is not None else None
        if figure is None:
            not_applicable("val/predictions figure", f"{type(pl_module).__name__}.prediction_figure draws nothing")
            return
        writer.add_figure("val/predictions", figure, global_step=trainer.global_step)
        plt.close(figure)
