"""A small detector for small images on a CPU: torchvision's FCOS on core's small CNN.

FCOS (Tian et al., 2019, "FCOS: Fully Convolutional One-Stage Object Detection") is anchor free:
with one feature level it needs no anchor tuning, which suits data whose objects are all about
the same size (the embedded shapes). The backbone is the first stages of core's ``simple_cnn``
(the cls demo's network) up to ``stride``; the head is torchvision's with ``head_convs`` layers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn
from torchvision.models.detection import FCOS
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.fcos import FCOSHead
from torchvision.models.detection.transform import GeneralizedRCNNTransform

from nnframe.core.backbones.simple_cnn import SimpleCNN
from nnframe.core.cv_tools import resolve_normalization


class SmallCNNFeatures(nn.Module):
    """The stages of core's :class:`~nnframe.core.backbones.simple_cnn.SimpleCNN` up to ``stride``
    (2: the first two stages, 4: three, 8: all four; a max-pool halves the size before each but the first).

    Shape: (B, C, H, W) -> (B, out_channels, H / stride, W / stride).
    """

    def __init__(self, in_chans: int = 3, width: int = 16, stride: int = 8, out_channels: int | None = None) -> None:
        super().__init__()
        if stride not in (2, 4, 8):
            raise ValueError(f"stride must be 2, 4 or 8, got {stride}")
        stages = {2: 2, 4: 3, 8: 4}[stride]
        cnn = SimpleCNN(in_chans=in_chans, width=width)
        self.body = cnn.features[: 1 + 2 * (stages - 1)]  # first block, then (pool, block) per stage
        channels = width * 2 ** (stages - 1)
        # A 1x1 projection to the head's width: the head's convolutions cost width^2 per cell.
        self.neck = nn.Identity() if out_channels in (None, channels) else nn.Conv2d(channels, out_channels, 1)
        self.out_channels = out_channels or channels

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.neck(self.body(images))


class SizedImagesTransform(GeneralizedRCNNTransform):
    """torchvision's detection transform that leaves images already at its size as they are.

    torchvision resizes every image, one by one, even when the scale is 1 (an interpolation per
    image: ~10% of a small model's step on a CPU); data generated at the model's size (the shapes)
    needs none. Other images are resized as torchvision does.
    """

    def resize(self, image: torch.Tensor, target: dict[str, torch.Tensor] | None = None) -> Any:
        height, width = image.shape[-2:]
        # Not while tracing for export: the exported graph keeps torchvision's resize for any size.
        if (self.fixed_size is None and not torch.jit.is_tracing() and len(self.min_size) == 1
                and min(height, width) == self.min_size[0] and max(height, width) <= self.max_size):
            return image, target
        return super().resize(image, target)


def tiny_fcos(num_classes: int, width: int = 8, stride: int = 8, head_width: int = 32, head_convs: int = 2,
              min_size: int = 64, max_size: int | None = None,
              normalization: str | Sequence[Sequence[float]] = "imagenet",
              score_thresh: float = 0.05, nms_thresh: float = 0.6, detections_per_img: int = 100,
              topk_candidates: int = 1000, in_chans: int = 3) -> FCOS:
    """FCOS on :class:`SmallCNNFeatures`, one feature level.

    Args:
        num_classes: object classes (no background class: FCOS scores each class on its own).
        width: the CNN's first width (stages: width x 1, 2, 4, 8).
        stride: the feature level's stride (4 or 8): objects of a few strides across suit it.
        head_width: channels of the head (a multiple of 32, its GroupNorm's groups).
        head_convs: convolutions in each head tower (torchvision's default: 4).
        min_size, max_size: the resize of torchvision's detection transform (images already at
            ``min_size`` are not resized).
        normalization: what the detector normalises [0, 1] images with (a name of core's
            ``NORMALIZATION_STATS`` or ``[mean, std]``).
        score_thresh, nms_thresh, detections_per_img, topk_candidates: FCOS's post-processing.
        in_chans: image channels.
    """
    mean, std = resolve_normalization(normalization, in_chans)
    backbone = SmallCNNFeatures(in_chans, width, stride, head_width)
    if backbone.out_channels % 32:
        raise ValueError(f"the head's GroupNorm needs a multiple of 32 channels, got head_width={head_width}")
    # One location per feature cell; FCOS samples centres within 1.5 anchor sizes: the stride.
    anchors = AnchorGenerator(sizes=((stride,),), aspect_ratios=((1.0,),))
    head = FCOSHead(backbone.out_channels, 1, num_classes, num_convs=head_convs)
    net = FCOS(backbone, num_classes, min_size=min_size, max_size=max_size or min_size,
               image_mean=list(mean), image_std=list(std), anchor_generator=anchors, head=head,
               score_thresh=score_thresh, nms_thresh=nms_thresh, detections_per_img=detections_per_img,
               topk_candidates=topk_candidates, size_divisible=stride)
    net.transform = SizedImagesTransform(min_size, max_size or min_size, list(mean), list(std), size_divisible=stride)
    return net
