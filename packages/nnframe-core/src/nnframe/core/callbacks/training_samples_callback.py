"""The first training batch, as the model sees it, as a TensorBoard figure."""

from __future__ import annotations

from typing import Any

import lightning as L
import matplotlib.pyplot as plt
from lightning.pytorch.utilities import rank_zero_only

from nnframe.core.callbacks._tensorboard import tensorboard_writer
from nnframe.core.modules.not_applicable import not_applicable


class TrainingSamplesCallback(L.Callback):
    """Logs ``train/samples``: the first training batch of the run after augmentation (what
    ``nnframe <task> inspect`` saves as a PNG), drawn by the task module's ``sample_figure``
    (labels as titles, masks overlaid, views side by side: the task's choice). A module whose
    ``sample_figure`` returns None is named once as not applicable.

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
        draw = getattr(pl_module, "sample_figure", None)
        if writer is None:
            return
        figure = draw(batch, self.num_images) if draw is not None else None
        if figure is None:
            not_applicable("train/samples figure", f"{type(pl_module).__name__}.sample_figure draws nothing")
            return
        writer.add_figure("train/samples", figure, global_step=trainer.global_step)
        plt.close(figure)
