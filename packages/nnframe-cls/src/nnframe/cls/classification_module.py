"""The classification task module: cross-entropy, accuracy / top-5 / macro F1, label grids."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torchmetrics import MetricCollection
from torchmetrics.classification import MulticlassAccuracy, MulticlassF1Score

from nnframe.cls.models.image_classifier import ImageClassifier
from nnframe.core.cv_tools import denormalize, labelled_image_grid, resolve_normalization
from nnframe.core.modules import TaskModule


class ClassificationModule(TaskModule):
    """Trains an :class:`ImageClassifier`.

    Logs ``<stage>/loss``, ``<stage>/acc``, ``<stage>/f1_macro`` and, with more than five
    classes, ``<stage>/acc_top5``.

    Args:
        backbone, num_classes, in_chans, pretrained, backbone_weights, drop_rate: the network
            (see :class:`ImageClassifier`).
        label_smoothing: cross-entropy label smoothing.
        optimizer, scheduler, scheduler_interval, monitor, monitor_mode, compile: see
            :class:`~nnframe.core.modules.TaskModule`.
    """

    def __init__(
        self,
        optimizer: Callable[..., torch.optim.Optimizer],
        num_classes: int,
        backbone: str = "simple_cnn",
        in_chans: int = 3,
        pretrained: bool = False,
        backbone_weights: str | None = None,
        drop_rate: float = 0.0,
        label_smoothing: float = 0.0,
        scheduler: Callable[..., Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self.num_classes = num_classes
        net = ImageClassifier(backbone, num_classes, in_chans, pretrained, backbone_weights, drop_rate)
        super().__init__(net=net, optimizer=optimizer, scheduler=scheduler, **kwargs)
        self.loss_fn = nn.CrossEntropyLoss(label_smoothing=label_smoothing)

    def build_metrics(self) -> MetricCollection:
        # validate_args=False: torchmetrics' input checks (torch.unique of the targets) wait for the
        # GPU at every update; the cross-entropy loss already rejects out-of-range targets.
        metrics: dict[str, Any] = {
            "acc": MulticlassAccuracy(self.num_classes, average="micro", validate_args=False),
            "f1_macro": MulticlassF1Score(self.num_classes, average="macro", validate_args=False),
        }
        if self.num_classes > 5:
            metrics["acc_top5"] = MulticlassAccuracy(self.num_classes, top_k=5, average="micro", validate_args=False)
        return MetricCollection(metrics)

    def compute_loss(self, outputs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return self.loss_fn(outputs, target)

    def predict_step(self, batch: Any, batch_idx: int) -> dict[str, torch.Tensor]:
        images, _ = batch
        return {"probs": self(images).softmax(dim=1)}

    def prediction_figure(self, images: torch.Tensor, target: torch.Tensor, preds: torch.Tensor) -> Any:
        normalization = getattr(getattr(self.trainer, "datamodule", None), "normalization", "imagenet")
        mean, std = resolve_normalization(normalization)
        names = self.class_names or [str(i) for i in range(self.num_classes)]
        titles = [f"{names[int(t)]}\n→ {names[int(p)]}" for t, p in zip(target, preds, strict=True)]
        correct = (target == preds).tolist()
        return labelled_image_grid(denormalize(images.float(), mean, std), titles, correct)
