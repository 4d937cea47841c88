"""The classification task module: cross-entropy, accuracy / top-5 / macro F1, label grids; and
for multi-label data, binary cross-entropy per label, per-class and macro F1, mAP, a threshold."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
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
from nnframe.core.backbones import InputSize, Preprocessing, backbone_input_size, backbone_preprocessing
from nnframe.core.compat.lightning import attached_trainer
from nnframe.core.cv_tools import denormalize, labelled_image_grid, resolve_normalization
from nnframe.core.errors import ConfigError
from nnframe.core.modules import StepOutput, TaskModule

#: Up to this many classes, the accuracy of each class is logged too (TensorBoard: a card per class
#: and one chart of all on CUSTOM SCALARS); beyond, the confusion matrix's diagonal shows it.
PER_CLASS_MAX_CLASSES = 20

#: Values of ``model.tta``.
TTA_MODES = ("hflip",)


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
        backbone, num_classes, in_chans, pretrained, backbone_weights, drop_rate, pretrained_file,
            drop_path_rate, image_size: the network (see :class:`ImageClassifier`).
        label_smoothing: cross-entropy label smoothing (single-label).
        multi_label: several labels per image.
        threshold: probability above which a label is predicted (multi-label).
        tta: test-time augmentation in validation, test and predict: ``hflip`` averages the class
            probabilities of each image and its mirror image; None: off.
        optimizer, scheduler, scheduler_interval, monitor, monitor_mode, compile, ema_decay,
            ema_warmup, freeze_backbone_epochs, layer_decay: see :class:`~nnframe.core.modules.TaskModule`.

    Training batches are mixed when the datamodule has ``mixup_alpha`` / ``cutmix_alpha`` (the
    loss takes the soft targets; ``train/acc`` counts a prediction right when it is the class
    with the larger share of the mixed image), and the training loss is weighted by class with
    ``data.class_balance=loss_weights`` (validation and test losses are not, so they stay
    comparable between runs). Both are single-label switches.
    """

    pretrained_weight_args: ClassVar[Mapping[str, Any]] = {
        "pretrained": False, "pretrained_file": None, "backbone_weights": None}

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
        pretrained_file: str | Path | None = None,
        drop_path_rate: float = 0.0,
        tta: str | None = None,
        image_size: int | None = None,
        **kwargs: Any,
    ) -> None:
        if tta is not None and tta not in TTA_MODES:
            raise ConfigError(f"model.tta={tta!r}: choose {', '.join(TTA_MODES)} or null")
        self.num_classes = num_classes
        self.multi_label = bool(multi_label)
        self.threshold = float(threshold)
        net = ImageClassifier(backbone, num_classes, in_chans, pretrained, backbone_weights, drop_rate,
                              pretrained_file=pretrained_file, drop_path_rate=drop_path_rate,
                              image_size=image_size)
        super().__init__(net=net, optimizer=optimizer, scheduler=scheduler, **kwargs)
        self.label_smoothing = label_smoothing
        self.loss_fn: nn.Module = (nn.BCEWithLogitsLoss() if self.multi_label
                                   else nn.CrossEntropyLoss(label_smoothing=label_smoothing))
        self.tta = tta
        # Set from the datamodule at fit start (see setup); plain attributes, not buffers, so that
        # checkpoints and the EMA copy of the module do not depend on them.
        self.batch_mixing: Callable[..., Any] | None = None
        self.class_loss_weights: torch.Tensor | None = None

    @classmethod
    def preprocessing(cls, model_cfg: Mapping[str, Any]) -> Preprocessing | None:
        return backbone_preprocessing(str(model_cfg.get("backbone", "")), bool(model_cfg.get("pretrained")),
                                      model_cfg.get("pretrained_file") or model_cfg.get("backbone_weights"))

    @classmethod
    def input_size(cls, model_cfg: Mapping[str, Any]) -> InputSize:
        """The input sizes the backbone takes (``data.image_size=auto`` respects them)."""
        return backbone_input_size(str(model_cfg.get("backbone", "")))

    def backbone_module(self) -> nn.Module:
        return self.net.backbone

    def setup(self, stage: str) -> None:
        super().setup(stage)
        datamodule = getattr(self.trainer, "datamodule", None) if attached_trainer(self) is not None else None
        if stage == "fit" and datamodule is not None:
            mixing = getattr(datamodule, "train_batch_mixing", None)
            self.batch_mixing = mixing() if callable(mixing) else None
            weights = getattr(datamodule, "class_weights", None)
            self.class_loss_weights = weights() if callable(weights) else None
            if self.multi_label and (self.batch_mixing is not None or self.class_loss_weights is not None):
                raise ConfigError("data.mixup_alpha, data.cutmix_alpha and data.class_balance=loss_weights need "
                                  "single-label data (one class per image); set them to 0 / null for multi-label data")

    def model_step(self, batch: Any) -> StepOutput:
        """Forward a batch (mixed in training, with ``tta`` in evaluation); the step's target is
        the hard labels."""
        images, target = self.batch_images(batch), self.batch_target(batch)
        if self.training and self.batch_mixing is not None:
            images, target = self.batch_mixing(images, target)
        outputs = self(images) if self.training or self.tta is None else self.tta_logits(images)
        loss = self.compute_loss(outputs, target)
        if self.multi_label:
            return StepOutput(loss, outputs, target.long())  # metrics take 0/1 integers
        return StepOutput(loss, outputs, self.hard_labels(target))

    @staticmethod
    def hard_labels(target: torch.Tensor) -> torch.Tensor:
        """Class indices: the targets themselves, or for soft (mixed) targets the class with
        the larger share. Shape: (B,) from (B,) or (B, classes)."""
        return target.argmax(dim=1) if target.ndim == 2 else target

    def tta_logits(self, images: torch.Tensor) -> torch.Tensor:
        """Log of the mean class probabilities over the ``tta`` views (log-probabilities are
        logits: softmax and cross-entropy give back the mean). Shape: (B, C, H, W) -> (B, classes); multi-label: the logits
        of the mean per-label probabilities."""
        if self.multi_label:  # per-label probabilities, back to logits
            probs = (self(images).float().sigmoid() + self(images.flip(-1)).float().sigmoid()) / 2
            return torch.logit(probs.clamp(1e-6, 1 - 1e-6))
        probs = (self(images).float().softmax(dim=1) + self(images.flip(-1)).float().softmax(dim=1)) / 2
        return probs.clamp_min(1e-12).log()

    def build_metrics(self) -> MetricCollection:
        if self.multi_label:
            labels, threshold = self.num_classes, self.threshold
            return MetricCollection({
                "map": MultilabelAveragePrecision(labels, average="macro"),
                "f1_macro": MultilabelF1Score(labels, threshold=threshold, average="macro"),
                "f1": MultilabelF1Score(labels, threshold=threshold, average="none"),
                "exact_match": MultilabelExactMatch(labels, threshold=threshold),
            })
        # validate_args=False: torchmetrics' input checks (torch.unique of the targets) wait for the
        # GPU at every update; the cross-entropy loss already rejects out-of-range targets.
        metrics: dict[str, Any] = {
            "acc": MulticlassAccuracy(self.num_classes, average="micro", validate_args=False),
            "f1_macro": MulticlassF1Score(self.num_classes, average="macro", validate_args=False),
        }
        if self.num_classes > 5:
            metrics["acc_top5"] = MulticlassAccuracy(self.num_classes, top_k=5, average="micro", validate_args=False)
        if self.num_classes <= PER_CLASS_MAX_CLASSES:
            # Logged as <stage>/class_acc/<class>; it shares f1_macro's per-class counts (one
            # torchmetrics compute group), so it costs no extra update.
            metrics["class_acc"] = MulticlassAccuracy(self.num_classes, average="none", validate_args=False)
        return MetricCollection(metrics)

    def compute_loss(self, outputs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if self.multi_label:
            return self.loss_fn(outputs, target.float())
        if self.training and self.class_loss_weights is not None:
            weight = self.class_loss_weights.to(device=outputs.device, dtype=outputs.dtype)
            return F.cross_entropy(outputs, target, weight=weight, label_smoothing=self.label_smoothing)
        return self.loss_fn(outputs, target)

    def predictions(self, outputs: torch.Tensor) -> torch.Tensor:
        if self.multi_label:
            return (outputs.sigmoid() > self.threshold).long()
        return outputs.argmax(dim=1)

    def predict_step(self, batch: Any, batch_idx: int) -> dict[str, torch.Tensor]:
        images = self.batch_images(batch)
        logits = self(images) if self.tta is None else self.tta_logits(images)
        if self.multi_label:
            probs = logits.sigmoid()
            return {"probs": probs, "labels": probs > self.threshold}
        return {"probs": logits.softmax(dim=1)}

    def prediction_figure(self, images: torch.Tensor, target: torch.Tensor, preds: torch.Tensor) -> Any:
        mean, std = resolve_normalization(self.image_normalization(), images.shape[1])
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
