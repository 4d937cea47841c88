"""The classification task module: cross-entropy, accuracy / top-5 / macro F1, label grids; and
for multi-label data, binary cross-entropy per label, per-class and macro F1, mAP, a threshold."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torchmetrics import MetricCollection
from torchmetrics.classification import (
    MulticlassAccuracy,
    MulticlassF1Score,
    MultilabelAveragePrecision,
    MultilabelExactMatch,
    MultilabelF1Score,
)

from nnframe.cls.models.image_classifier import ImageClassifier
from nnframe.core.cv_tools import denormalize, labelled_image_grid, resolve_normalization
from nnframe.core.modules import TaskModule

#: Up to this many classes, the accuracy of each class is logged too (TensorBoard: a card per class
#: and one chart of all on CUSTOM SCALARS); beyond, the confusion matrix's diagonal shows it.
PER_CLASS_MAX_CLASSES = 20


class ClassificationModule(TaskModule):
    """Trains an :class:`ImageClassifier`.

    Single-label (targets are class indices): logs ``<stage>/loss``, ``<stage>/acc``,
    ``<stage>/f1_macro``, with more than five classes ``<stage>/acc_top5``, and with at most 20
    classes the accuracy of each, ``<stage>/class_acc/<class name>``.

    Multi-label (``multi_label=True``, targets are multi-hot vectors (B, num_classes)): the loss
    is ``BCEWithLogitsLoss``, a label is predicted when its probability exceeds ``threshold``;
    logs ``<stage>/map`` (mean average precision over labels, threshold-free),
    ``<stage>/f1_macro``, ``<stage>/f1/<class>`` and ``<stage>/exact_match`` (every label right).

    Args:
        backbone, num_classes, in_chans, pretrained, backbone_weights, drop_rate: the network
            (see :class:`ImageClassifier`).
        label_smoothing: cross-entropy label smoothing (single-label).
        multi_label: several labels per image.
        threshold: probability above which a label is predicted (multi-label).
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
        multi_label: bool = False,
        threshold: float = 0.5,
        scheduler: Callable[..., Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self.num_classes = num_classes
        self.multi_label = bool(multi_label)
        self.threshold = float(threshold)
        net = ImageClassifier(backbone, num_classes, in_chans, pretrained, backbone_weights, drop_rate)
        super().__init__(net=net, optimizer=optimizer, scheduler=scheduler, **kwargs)
        self.loss_fn: nn.Module = (nn.BCEWithLogitsLoss() if self.multi_label
                                   else nn.CrossEntropyLoss(label_smoothing=label_smoothing))

    def build_metrics(self) -> MetricCollection:
        if self.multi_label:
            labels, threshold = self.num_classes, self.threshold
            return MetricCollection({
                "map": MultilabelAveragePrecision(labels, average="macro"),
                "f1_macro": MultilabelF1Score(labels, threshold=threshold, average="macro"),
                "f1": MultilabelF1Score(labels, threshold=threshold, average="none"),
                "exact_match": MultilabelExactMatch(labels, threshold=threshold),
            })
        metrics: dict[str, Any] = {
            "acc": MulticlassAccuracy(self.num_classes, average="micro"),
            "f1_macro": MulticlassF1Score(self.num_classes, average="macro"),
        }
        if self.num_classes > 5:
            metrics["acc_top5"] = MulticlassAccuracy(self.num_classes, top_k=5, average="micro")
        if self.num_classes <= PER_CLASS_MAX_CLASSES:
            # Logged as <stage>/class_acc/<class>; it shares f1_macro's per-class counts (one
            # torchmetrics compute group), so it costs no extra update.
            metrics["class_acc"] = MulticlassAccuracy(self.num_classes, average="none")
        return MetricCollection(metrics)

    def compute_loss(self, outputs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return self.loss_fn(outputs, target.float() if self.multi_label else target)

    def model_step(self, batch: Any) -> tuple[torch.Tensor, Any, torch.Tensor]:
        images, target = batch
        outputs = self(images)
        loss = self.compute_loss(outputs, target)
        return loss, outputs, target.long() if self.multi_label else target  # metrics take 0/1 integers

    def predictions(self, outputs: torch.Tensor) -> torch.Tensor:
        if self.multi_label:
            return (outputs.sigmoid() > self.threshold).long()
        return outputs.argmax(dim=1)

    def predict_step(self, batch: Any, batch_idx: int) -> dict[str, torch.Tensor]:
        images, _ = batch
        logits = self(images)
        if self.multi_label:
            probs = logits.sigmoid()
            return {"probs": probs, "labels": probs > self.threshold}
        return {"probs": logits.softmax(dim=1)}

    def prediction_figure(self, images: torch.Tensor, target: torch.Tensor, preds: torch.Tensor) -> Any:
        normalization = getattr(getattr(self.trainer, "datamodule", None), "normalization", "imagenet")
        mean, std = resolve_normalization(normalization, images.shape[1])
        names = self.class_names or [str(i) for i in range(self.num_classes)]
        if self.multi_label:
            def labels(row: torch.Tensor) -> str:
                return ", ".join(names[int(i)] for i in torch.nonzero(row).flatten()) or "-"

            titles = [f"{labels(t)}\n→ {labels(p)}" for t, p in zip(target, preds, strict=True)]
            correct = (target == preds).all(dim=1).tolist()
        else:
            titles = [f"{names[int(t)]}\n→ {names[int(p)]}" for t, p in zip(target, preds, strict=True)]
            correct = (target == preds).tolist()
        header = f"true → predicted    ({sum(correct)} of {len(correct)} right)"
        return labelled_image_grid(denormalize(images.float(), mean, std), titles, correct, header=header)
