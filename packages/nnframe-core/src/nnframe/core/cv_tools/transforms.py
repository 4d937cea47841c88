"""Transform presets on torchvision.transforms.v2.

The same preset works on PIL images, uint8 tensors and ``tv_tensors.Image``; segmentation
presets transform an image and its ``tv_tensors.Mask`` together (geometry on both, colour on the
image alone). ``in_channels`` adapts the normalisation stats to the images' channels (RGB stats
on grey images become one value each; see ``normalization.stats_for_channels``); runs get stats
of the right length from ``data.normalization``, which the run resolves for ``data.in_channels``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torchvision.transforms import v2

from nnframe.core.cv_tools.normalization import resolve_normalization


def _to_float_normalized(normalization: str | Sequence[Sequence[float]],
                         in_channels: int | None = None) -> list[v2.Transform]:
    mean, std = resolve_normalization(normalization, in_channels)
    return [v2.ToDtype(torch.float32, scale=True), v2.Normalize(mean=list(mean), std=list(std))]


def classification_train_transform(
    image_size: int = 32,
    normalization: str | Sequence[Sequence[float]] = "imagenet",
    crop: str = "random_crop",
    crop_padding: int = 4,
    min_scale: float = 0.08,
    hflip: bool = True,
    color_jitter: float = 0.0,
    in_channels: int | None = None,
) -> v2.Compose:
    """Training augmentation for classification.

    Args:
        image_size: output side in pixels.
        normalization: dataset name in ``NORMALIZATION_STATS`` or ``[mean, std]``.
        crop: ``random_crop`` (pad then crop, CIFAR style), ``random_resized_crop`` (ImageNet
            style) or ``resize`` (no random crop).
        crop_padding: padding for ``random_crop``.
        min_scale: smallest area fraction for ``random_resized_crop``.
        hflip: random horizontal flip.
        color_jitter: strength of brightness/contrast/saturation jitter (0 = off).
        in_channels: channels of the images (None: as many as the stats have).
    """
    steps: list[v2.Transform] = [v2.ToImage()]
    if crop == "random_crop":
        steps += [v2.Resize(image_size, antialias=True), v2.RandomCrop(image_size, padding=crop_padding)]
    elif crop == "random_resized_crop":
        steps.append(v2.RandomResizedCrop(image_size, scale=(min_scale, 1.0), antialias=True))
    elif crop == "resize":
        steps += [v2.Resize(image_size, antialias=True), v2.CenterCrop(image_size)]
    else:
        raise ValueError(f"unknown crop {crop!r}; choose random_crop, random_resized_crop or resize")
    if hflip:
        steps.append(v2.RandomHorizontalFlip())
    if color_jitter > 0:
        steps.append(v2.ColorJitter(color_jitter, color_jitter, color_jitter))
    return v2.Compose(steps + _to_float_normalized(normalization, in_channels))


def classification_eval_transform(
    image_size: int = 32,
    normalization: str | Sequence[Sequence[float]] = "imagenet",
    resize_ratio: float = 1.0,
    in_channels: int | None = None,
) -> v2.Compose:
    """Evaluation transform: resize the short side to ``image_size / resize_ratio``, centre crop."""
    resize_to = round(image_size / resize_ratio)
    return v2.Compose(
        [
            v2.ToImage(),
            v2.Resize(resize_to, antialias=True),
            v2.CenterCrop(image_size),
            *_to_float_normalized(normalization, in_channels),
        ]
    )


def segmentation_train_transform(
    image_size: int = 256,
    normalization: str | Sequence[Sequence[float]] = "imagenet",
    min_scale: float = 0.5,
    hflip: bool = True,
    color_jitter: float = 0.2,
    in_channels: int | None = None,
) -> v2.Compose:
    """Joint image + ``tv_tensors.Mask`` augmentation: random resized crop and flip on both
    (nearest-neighbour for the mask), colour jitter on the image alone."""
    steps: list[v2.Transform] = [
        v2.ToImage(),
        v2.RandomResizedCrop(image_size, scale=(min_scale, 1.0), antialias=True),
    ]
    if hflip:
        steps.append(v2.RandomHorizontalFlip())
    if color_jitter > 0:
        steps.append(v2.ColorJitter(color_jitter, color_jitter, color_jitter))
    return v2.Compose(steps + _to_float_normalized(normalization, in_channels))


def segmentation_eval_transform(
    image_size: int = 256,
    normalization: str | Sequence[Sequence[float]] = "imagenet",
    in_channels: int | None = None,
) -> v2.Compose:
    """Joint evaluation transform: resize image and mask to ``image_size`` x ``image_size``."""
    return v2.Compose(
        [v2.ToImage(), v2.Resize((image_size, image_size), antialias=True),
         *_to_float_normalized(normalization, in_channels)]
    )
