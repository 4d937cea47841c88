"""The classification task module: cross-entropy, accuracy / top-5 / macro F1, label grids."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn
from torchmetrics import MetricCollection
from torchmetrics.classification import MulticlassAccuracy, MulticlassF1Score

from nnframe.cls.models.image_classifier import ImageClassifier
from nnframe.core.backbones import Preprocessing, backbone_preprocessing
from nnframe.core.cv_tools import denormalize, labelled_image_grid, resolve_normalization
from nnframe.core.errors import ConfigError
from nnframe.core.modules import TaskModule

#: Values of ``model.tta``.
TTA_MODES = ("hflip",)


class ClassificationModule(TaskModule):
    """Trains an :class:`ImageClassifier`.

    Logs ``<stage>/loss``, ``<stage>/acc``, ``<stage>/f1_macro`` and, with more than five
    classes, ``<stage>/acc_top5``.

    Args:
        backbone, num_classes, in_chans, pretrained, backbone_weights, drop_rate, pretrained_file,
            drop_path_rate: the network (see :class:`ImageClassifier`).
        label_smoothing: cross-entropy label smoothing.
        tta: test-time augmentation in validation, test and predict: ``hflip`` averages the class
            probabilities of each image and its mirror image; None: off.
        optimizer, scheduler, scheduler_interval, monitor, monitor_mode, compile, ema_decay,
            ema_warmup, freeze_backbone_epochs, layer_decay: see :class:`~nnframe.core.modules.TaskModule`.

    Training batches are mixed when the datamodule has ``mixup_alpha`` / ``cutmix_alpha`` (the
    loss takes the soft targets; ``train/acc`` counts a prediction right when it is the class
    with the larger share of the mixed image), and the training loss is weighted by class with
    ``data.class_balance=loss_weights`` (validation and test losses are not, so they stay
    comparable between runs).
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
        scheduler: Callable[..., Any] | None = None,
        pretrained_file: str | Path | None = None,
        drop_path_rate: float = 0.0,
        tta: str | None = None,
        **kwargs: Any,
    ) -> None:
        if tta is not None and tta not in TTA_MODES:
            raise ConfigError(f"model.tta={tta!r}: choose {', '.join(TTA_MODES)} or null")
        self.num_classes = num_classes
        net = ImageClassifier(backbone, num_classes, in_chans, pretrained, backbone_weights, drop_rate,
                              pretrained_file=pretrained_file, drop_path_rate=drop_path_rate)
        super().__init__(net=net, optimizer=optimizer, scheduler=scheduler, **kwargs)
        self.label_smoothing = label_smoothing
        self.loss_fn = nn.CrossEntropyLoss(label_smoothing=label_smoothing)
        self.tta = tta
        # Set from the datamodule at fit start (see setup); plain attributes, not buffers, so that
        # checkpoints and the EMA copy of the module do not depend on them.
        self.batch_mixing: Callable[..., Any] | None = None
        self.class_loss_weights: torch.Tensor | None = None

    @classmethod
    def preprocessing(cls, model_cfg: Mapping[str, Any]) -> Preprocessing | None:
        return backbone_preprocessing(str(model_cfg.get("backbone", "")), bool(model_cfg.get("pretrained")),
                                      model_cfg.get("pretrained_file") or model_cfg.get("backbone_weights"))

    def backbone_module(self) -> nn.Module:
        return self.net.backbone

    def setup(self, stage: str) -> None:
        super().setup(stage)
        datamodule = getattr(self.trainer, "datamodule", None) if self._trainer is not None else None
        if stage == "fit" and datamodule is not None:
            mixing = getattr(datamodule, "train_batch_mixing", None)
            self.batch_mixing = mixing() if callable(mixing) else None
            weights = getattr(datamodule, "class_weights", None)
            self.class_loss_weights = weights() if callable(weights) else None

    def model_step(self, batch: Any) -> tuple[torch.Tensor, Any, torch.Tensor]:
        """Forward a batch (mixed in training, with ``tta`` in evaluation); returns
        ``(loss, outputs, hard labels)``."""
        images, target = batch
        if self.training and self.batch_mixing is not None:
            images, target = self.batch_mixing(images, target)
        outputs = self(images) if self.training or self.tta is None else self.tta_logits(images)
        return self.compute_loss(outputs, target), outputs, self.hard_labels(target)

    @staticmethod
    def hard_labels(target: torch.Tensor) -> torch.Tensor:
        """Class indices: the targets themselves, or for soft (mixed) targets the class with
        the larger share. Shape: (B,) from (B,) or (B, classes)."""
        return target.argmax(dim=1) if target.ndim == 2 else target

    def tta_logits(self, images: torch.Tensor) -> torch.Tensor:
        """Log of the mean class probabilities over the ``tta`` views (log-probabilities are
        logits: softmax and cross-entropy give back the mean). Shape: (B, C, H, W) -> (B, classes)."""
        probs = (self(images).float().softmax(dim=1) + self(images.flip(-1)).float().softmax(dim=1)) / 2
        return probs.clamp_min(1e-12).log()

    def build_metrics(self) -> MetricCollection:
        metrics: dict[str, Any] = {
            "acc": MulticlassAccuracy(self.num_classes, average="micro"),
            "f1_macro": MulticlassF1Score(self.num_classes, average="macro"),
        }
        if self.num_classes > 5:
            metrics["acc_top5"] = MulticlassAccuracy(self.num_classes, top_k=5, average="micro")
        return MetricCollection(metrics)

    def compute_loss(self, outputs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if self.training and self.class_loss_weights is not None:
            weight = self.class_loss_weights.to(device=outputs.device, dtype=outputs.dtype)
            return F.cross_entropy(outputs, target, weight=weight, label_smoothing=self.label_smoothing)
        return self.loss_fn(outputs, target)

    def predict_step(self, batch: Any, batch_idx: int) -> dict[str, torch.Tensor]:
        images, _ = batch
        logits = self(images) if self.tta is None else self.tta_logits(images)
        return {"probs": logits.softmax(dim=1)}

    def prediction_figure(self, images: torch.Tensor, target: torch.Tensor, preds: torch.Tensor) -> Any:
        normalization = getattr(getattr(self.trainer, "datamodule", None), "normalization", "imagenet")
        mean, std = resolve_normalization(normalization)
        names = self.class_names or [str(i) for i in range(self.num_classes)]
        titles = [f"{names[int(t)]}\n→ {names[int(p)]}" for t, p in zip(target, preds, strict=True)]
        correct = (target == preds).tolist()
        return labelled_image_grid(denormalize(images.float(), mean, std), titles, correct)
