"""A TensorBoard grid of the augmented views the method trains on."""

from __future__ import annotations

from typing import Any

import lightning as L
import torch
import torch.nn.functional as F
from lightning.pytorch.utilities import rank_zero_only
from torchvision.utils import make_grid

from nnframe.core.callbacks._tensorboard import tensorboard_writer
from nnframe.core.cv_tools import denormalize, resolve_normalization


def views_grid(views: list[torch.Tensor], num_images: int, normalization: Any) -> torch.Tensor:
    """One row per image, one column per view; smaller (local) views are scaled up.

    Args:
        views: the views of a batch, each (batch, channels, height, width).
        num_images: rows of the grid.
        normalization: stats the views were normalised with.

    Returns:
        The grid image; Shape: (3, H, W) in [0, 1].
    """
    mean, std = resolve_normalization(normalization)
    size = max(v.shape[-1] for v in views)
    rows = []
    for index in range(min(num_images, len(views[0]))):
        for view in views:
            image = denormalize(view[index].float().cpu(), mean, std)
            if image.shape[-1] != size:
                image = F.interpolate(image[None], size=(size, size), mode="nearest")[0]
            rows.append(image.expand(3, -1, -1) if image.shape[0] == 1 else image)
    return make_grid(torch.stack(rows), nrow=len(views), padding=2, pad_value=1.0)


class AugmentedViewsCallback(L.Callback):
    """Logs ``train/views``: the views of the first training batch, every few epochs.

    Args:
        num_images: images (rows) in the grid.
        every_n_epochs: draw every N epochs (0: only at the first epoch).
    """

    def __init__(self, num_images: int = 8, every_n_epochs: int = 0) -> None:
        self.num_images = num_images
        self.every_n_epochs = every_n_epochs

    @rank_zero_only
    def on_train_batch_start(self, trainer: L.Trainer, pl_module: L.LightningModule, batch: Any,
                             batch_idx: int) -> None:
        epoch = trainer.current_epoch
        due = epoch == 0 if self.every_n_epochs <= 0 else epoch % self.every_n_epochs == 0
        writer = tensorboard_writer(trainer)
        if batch_idx != 0 or not due or writer is None:
            return
        views = batch[0]
        if not isinstance(views, list | tuple):
            return
        normalization = getattr(trainer.datamodule, "normalization", "imagenet")
        writer.add_image("train/views", views_grid(list(views), self.num_images, normalization),
                         global_step=trainer.global_step)
