"""The segmentation task module: an smp model, a weighted sum of losses, IoU/Dice metrics and
image | ground truth | prediction overlays."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar

import torch
from matplotlib.figure import Figure
from torch import nn
from torchmetrics import MetricCollection

from nnframe.core.backbones import Preprocessing
from nnframe.core.cv_tools import denormalize, resolve_normalization
from nnframe.core.errors import ConfigError
from nnframe.core.modules import StepOutput, TaskModule
from nnframe.seg.figures import segmentation_figure
from nnframe.seg.metrics import segmentation_metrics
from nnframe.seg.models.smp_model import create_segmentation_model, smp_preprocessing
from nnframe.seg.sample_figure import mask_samples_figure
from nnframe.seg.sliding_window import sliding_window_logits, whole_image_logits


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
        pretrained_file: a local file of encoder weights instead of downloading
            ``encoder_weights`` (see :func:`~nnframe.seg.models.create_segmentation_model`).
        sliding_window: evaluation and prediction on ``sliding_window`` x ``sliding_window``
            crops averaged where they overlap (mmsegmentation's ``slide`` mode), for images
            larger than the training crop; None: the whole image at once (padded to the
            encoder's output stride).
        sliding_window_stride: step between the crops (default: two thirds of the window).
        scheduler, scheduler_interval, monitor, monitor_mode, compile, ema_decay, ema_warmup,
            freeze_backbone_epochs (the encoder), layer_decay: see :class:`~nnframe.core.modules.TaskModule`.
    """

    pretrained_weight_args: ClassVar[Mapping[str, Any]] = {"encoder_weights": None, "pretrained_file": None}

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
        pretrained_file: str | Path | None = None,
        sliding_window: int | None = None,
        sliding_window_stride: int | None = None,
        **kwargs: Any,
    ) -> None:
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.include_background = include_background
        net = create_segmentation_model(arch, encoder, encoder_weights, in_channels, num_classes, arch_kwargs,
                                        pretrained_file=pretrained_file)
        super().__init__(net=net, optimizer=optimizer, scheduler=scheduler, **kwargs)
        self.loss_fn = loss if loss is not None else nn.CrossEntropyLoss(ignore_index=ignore_index or -100)
        stride_multiple = int(getattr(getattr(net, "encoder", None), "output_stride", 1) or 1)
        if sliding_window is not None and (sliding_window <= 0 or sliding_window % stride_multiple):
            raise ConfigError(f"model.sliding_window={sliding_window} must be a positive multiple of the encoder's "
                              f"output stride {stride_multiple} (e.g. the training crop data.image_size)")
        self.sliding_window = sliding_window
        self.sliding_window_stride = sliding_window_stride
        self.stride_multiple = stride_multiple

    @classmethod
    def preprocessing(cls, model_cfg: Mapping[str, Any]) -> Preprocessing | None:
        return smp_preprocessing(str(model_cfg.get("encoder", "")), model_cfg.get("encoder_weights"),
                                 model_cfg.get("pretrained_file"))

    def backbone_module(self) -> nn.Module:
        return self.net.encoder

    def segment(self, images: torch.Tensor) -> torch.Tensor:
        """Logits of evaluation/prediction images of any size: sliding windows with
        ``sliding_window``, else the whole image padded to the encoder's output stride.

        Shape: (B, C, H, W) -> (B, classes, H, W).
        """
        if self.sliding_window:
            return sliding_window_logits(self, images, self.sliding_window, self.sliding_window_stride)
        return whole_image_logits(self, images, self.stride_multiple)

    def build_metrics(self) -> MetricCollection:
        return segmentation_metrics(self.num_classes, self.ignore_index, self.include_background)

    def compute_loss(self, outputs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return self.loss_fn(outputs, target.long())

    def metric_inputs(self, outputs: torch.Tensor) -> torch.Tensor:
        # Every segmentation metric reads one confusion matrix of hard predictions: one arg-max
        # per update instead of one per metric, and (B, H, W) indices held instead of (B, C, H, W).
        return self.predictions(outputs)

    def model_step(self, batch: Any) -> StepOutput:
        images = self.batch_images(batch)
        target = self.batch_target(batch).long().as_subclass(torch.Tensor)  # a batched tv_tensors.Mask
        outputs = self(images) if self.training else self.segment(images)
        return StepOutput(self.compute_loss(outputs, target), outputs, target)

    def predict_step(self, batch: Any, batch_idx: int) -> dict[str, torch.Tensor]:
        """Returns ``mask`` (B, H, W) class indices and ``confidence`` (B, H, W) their probability."""
        images = self.batch_images(batch)
        confidence, mask = self.segment(images).softmax(dim=1).max(dim=1)
        return {"mask": mask, "confidence": confidence}

    def prediction_figure(self, images: torch.Tensor, target: torch.Tensor, preds: torch.Tensor) -> Figure:
        mean, std = resolve_normalization(self.image_normalization(), images.shape[1])
        names = self.class_names or [str(i) for i in range(self.num_classes)]
        return segmentation_figure(denormalize(images.float(), mean, std), target, preds, names,
                                   ignore_index=self.ignore_index)

    def sample_figure(self, batch: Any, max_images: int = 32) -> Figure:
        """The first training samples with their masks overlaid (``train/samples``, ``inspect``)."""
        names = self.class_names or [str(i) for i in range(self.num_classes)]
        return mask_samples_figure(self.batch_images(batch), self.batch_target(batch), names,
                                   self.image_normalization(), self.ignore_index, max_images)
