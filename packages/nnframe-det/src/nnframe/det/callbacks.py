"""TensorBoard figures of detection runs: validation images with true and predicted boxes, and
the first training batch with its boxes.

Core's ``PredictionGridCallback`` and ``TrainingSamplesCallback`` index ``batch[0]`` as one image
tensor; until they ask the task module (the core contract's ``prediction_figure`` /
``sample_figure``, issue 23), the det configs use these two, which do.
"""

from __future__ import annotations

from typing import Any

import lightning as L
import matplotlib.pyplot as plt
from lightning.pytorch.loggers import TensorBoardLogger
from lightning.pytorch.utilities import rank_zero_only


def _writer(trainer: L.Trainer) -> Any:
    for logger in trainer.loggers:
        if isinstance(logger, TensorBoardLogger):
            return logger.experiment
    return None


class DetectionGridCallback(L.Callback):
    """Logs ``val/predictions``: the first validation images with their true and predicted boxes.

    Args:
        num_images: images drawn.
        every_n_epochs: draw every N validation epochs.
    """

    def __init__(self, num_images: int = 8, every_n_epochs: int = 1) -> None:
        self.num_images = num_images
        self.every_n_epochs = every_n_epochs
        self._sample: tuple[list[Any], list[Any], list[Any]] | None = None

    def on_validation_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any,
                                batch_idx: int, dataloader_idx: int = 0) -> None:
        if batch_idx or dataloader_idx or trainer.sanity_checking or trainer.current_epoch % self.every_n_epochs:
            return
        if not isinstance(outputs, dict) or "detections" not in outputs:
            return
        n = self.num_images
        self._sample = ([i.detach().cpu() for i in pl_module.batch_images(batch)[:n]],
                        [{k: v.detach().cpu() if hasattr(v, "detach") else v for k, v in t.items()}
                         for t in outputs["targets"][:n]],
                        [{k: v.detach().cpu() for k, v in d.items()} for d in outputs["detections"][:n]])

    @rank_zero_only
    def on_validation_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        sample, self._sample = self._sample, None
        writer = _writer(trainer)
        if sample is None or writer is None:
            return
        figure = pl_module.prediction_figure(*sample)
        writer.add_figure("val/predictions", figure, global_step=trainer.global_step)
        plt.close(figure)


class DetectionSamplesCallback(L.Callback):
    """Logs ``train/samples``: the run's first training batch after augmentation, with its boxes.

    Args:
        num_images: images drawn.
    """

    def __init__(self, num_images: int = 16) -> None:
        self.num_images = num_images
        self._done = False

    @rank_zero_only
    def on_train_batch_start(self, trainer: L.Trainer, pl_module: L.LightningModule, batch: Any,
                             batch_idx: int) -> None:
        if self._done:
            return
        self._done = True
        writer = _writer(trainer)
        if writer is None:
            return
        images, targets = batch[0][: self.num_images], batch[1][: self.num_images]
        figure = pl_module.sample_figure((images, targets))
        writer.add_figure("train/samples", figure, global_step=trainer.global_step)
        plt.close(figure)
