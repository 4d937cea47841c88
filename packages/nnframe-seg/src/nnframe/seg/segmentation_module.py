"""The segmentation task module: an smp model, a weighted sum of losses, IoU/Dice metrics and
image | ground truth | prediction overlays."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
from matplotlib.figure import Figure
from torch import nn
from torchmetrics import MetricCollection

from nnframe.core.cv_tools import denormalize, resolve_normalization
from nnframe.core.modules import TaskModule
from nnframe.seg.figures import segmentation_figure
from nnframe.seg.metrics import segmentation_metrics
from nnframe.seg.models.smp_model import create_segmentation_model


class SegmentationModule(TaskModule):
    """Trains a segmentation-models-pytorch network.

    Logs ``<stage>/loss``, ``<stage>/miou``, ``<stage>/dice``, ``<stage>/pixel_acc`` and the IoU
    of every class as ``<stage>/iou/<class name>``.

    Args:
        optimizer: partial optimizer (see :class:`~nnframe.core.modules.TaskModule`).
        num_classes: classes, background included.
        arch, encoder, encoder_weights, in_channels, arch_kwargs: the network (see
            :func:`~nnframe.seg.models.create_segmentation_model`).
        loss: a module taking ``(logits, target)``; the ``loss`` config group builds a
            :class:`~nnframe.seg.CombinedLoss`. Default: cross-entropy.
        ignore_index: target value of unlabelled pixels, left out of the metrics (the loss
            config receives the same value).
        include_background: count class 0 in mean IoU / Dice.
        scheduler, scheduler_interval, monitor, monitor_mode, compile: see
            :class:`~nnframe.core.modules.TaskModule`.
    """

    def __init__(
        self,
        optimizer: Callable[..., torch.optim.Optimizer],
        num_classes: int,
        arch: str = "unet",
        encoder: str = "resnet18",
        encoder_weights: str | None = None,
        in_channels: int = 3,
        arch_kwargs: Mapping[str, Any] | None = None,
        loss: nn.Module | None = None,
        ignore_index: int | None = 255,
        include_background: bool = True,
        scheduler: Callable[..., Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.include_background = include_background
        net = create_segmentation_model(arch, encoder, encoder_weights, in_channels, num_classes, arch_kwargs)
        super().__init__(net=net, optimizer=optimizer, scheduler=scheduler, **kwargs)
        self.loss_fn = loss if loss is not None else nn.CrossEntropyLoss(ignore_index=ignore_index or -100)

    def build_metrics(self) -> MetricCollection:
        return segmentation_metrics(self.num_classes, self.ignore_index, self.include_background)

    def compute_loss(self, outputs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return self.loss_fn(outputs, target.long())

    def model_step(self, batch: Any) -> tuple[torch.Tensor, Any, torch.Tensor]:
        images, target = batch
        target = target.long().as_subclass(torch.Tensor)  # a batched tv_tensors.Mask
        outputs = self(images)
        return self.compute_loss(outputs, target), outputs, target

    def predict_step(self, batch: Any, batch_idx: int) -> dict[str, torch.Tensor]:
        """Returns ``mask`` (B, H, W) class indices and ``confidence`` (B, H, W) their probability."""
        images, _ = batch
        confidence, mask = self(images).softmax(dim=1).max(dim=1)
        return {"mask": mask, "confidence": confidence}

    def prediction_figure(self, images: torch.Tensor, target: torch.Tensor, preds: torch.Tensor) -> Figure:
        mean, std = resolve_normalization(self.image_normalization())
        names = self.class_names or [str(i) for i in range(self.num_classes)]
        return segmentation_figure(denormalize(images.float(), mean, std), target, preds, names,
                                   ignore_index=self.ignore_index)
