"""The first training batch, as the model sees it, as a TensorBoard figure."""

from __future__ import annotations

from typing import Any

import lightning as L
import matplotlib.pyplot as plt
from lightning.pytorch.utilities import rank_zero_only

from nnframe.core.callbacks._tensorboard import tensorboard_writer
from nnframe.core.cv_tools.sample_grid import training_samples_figure


class TrainingSamplesCallback(L.Callback):
    """Logs ``train/samples``: the first training batch of the run after augmentation (what
    ``nnframe <task> inspect`` saves as a PNG), denormalised, labels as titles, masks overlaid.

    Args:
        num_images: images in the grid.
    """

    def __init__(self, num_images: int = 32) -> None:
        self.num_images = num_images
        self._done = False

    @rank_zero_only
    def on_train_batch_start(self, trainer: L.Trainer, pl_module: L.LightningModule, batch: Any,
                             batch_idx: int) -> None:
        if self._done:
            return
        self._done = True
        writer = tensorboard_writer(trainer)
        if writer is None or not isinstance(batch, list | tuple) or len(batch) < 2:
            return
        datamodule = getattr(trainer, "datamodule", None)
        figure = training_samples_figure(
            batch, list(getattr(pl_module, "class_names", []) or getattr(datamodule, "class_names", [])),
            getattr(datamodule, "normalization", "imagenet"), getattr(datamodule, "ignore_index", 255),
            self.num_images)
        writer.add_figure("train/samples", figure, global_step=trainer.global_step)
        plt.close(figure)
