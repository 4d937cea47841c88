"""The validation confusion matrix as a TensorBoard figure."""

from __future__ import annotations

from typing import Any

import lightning as L
import matplotlib.pyplot as plt
import torch
from torchmetrics.classification import MulticlassConfusionMatrix

from nnframe.core.callbacks._tensorboard import tensorboard_writer
from nnframe.core.cv_tools.visualization import confusion_matrix_figure
from nnframe.core.modules.not_applicable import not_applicable


class ConfusionMatrixCallback(L.Callback):
    """Accumulates ``outputs["preds"]`` against ``outputs["target"]`` over the validation epoch
    (per sample or per pixel) and logs ``val/confusion_matrix``.

    Args:
        every_n_epochs: draw every N validation epochs.
        ignore_index: target value left out (e.g. 255 for unlabelled pixels).
        cell_text: what each cell says: ``count`` (samples) or ``percent`` of the true class
            (segmentation, whose pixel counts run into millions).
    """

    def __init__(self, every_n_epochs: int = 1, ignore_index: int | None = 255, cell_text: str = "count") -> None:
        if cell_text not in ("count", "percent"):
            raise ValueError(f"cell_text must be 'count' or 'percent', got {cell_text!r}")
        self.every_n_epochs = every_n_epochs
        self.ignore_index = ignore_index
        self.cell_text = cell_text
        self._matrix: MulticlassConfusionMatrix | None = None

    def _active(self, trainer: L.Trainer) -> bool:
        return not trainer.sanity_checking and trainer.current_epoch % self.every_n_epochs == 0

    def on_validation_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._matrix = None
        num_classes = len(getattr(pl_module, "class_names", []) or [])
        # Multi-label predictions are not one class per sample: the per-class F1 replaces the matrix.
        if self._active(trainer) and num_classes > 1 and not getattr(pl_module, "multi_label", False):
            self._matrix = MulticlassConfusionMatrix(num_classes, ignore_index=self.ignore_index,
                                                     validate_args=False).to(pl_module.device)

    def on_validation_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any,
                                batch: Any, batch_idx: int, dataloader_idx: int = 0) -> None:
        if self._matrix is not None and isinstance(outputs, dict) and "preds" in outputs:
            preds, target = outputs["preds"], outputs.get("target")
            if not (isinstance(preds, torch.Tensor) and isinstance(target, torch.Tensor) and preds.shape == target.shape):
                # Not one class per sample or pixel (boxes, keypoints): there is no matrix to draw.
                not_applicable("val/confusion_matrix figure", f"{type(pl_module).__name__}'s predictions are not "
                               "class indices of the target's shape")
                self._matrix = None
                return
            self._matrix.update(preds, target)

    def on_validation_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self._matrix is None or not self._matrix.update_called:
            return
        matrix = self._matrix.compute()  # reduced across processes
        self._matrix = None
        writer = tensorboard_writer(trainer)
        if trainer.is_global_zero and writer is not None:
            unit = "pixels" if self.cell_text == "percent" else "samples"
            title = f"validation confusion matrix ({unit}), epoch {trainer.current_epoch}"
            figure = confusion_matrix_figure(matrix, pl_module.class_names, title, self.cell_text)
            writer.add_figure("val/confusion_matrix", figure, global_step=trainer.global_step)
            plt.close(figure)
