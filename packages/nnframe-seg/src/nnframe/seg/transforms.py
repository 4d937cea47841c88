"""Joint image + mask transform presets for segmentation, on torchvision.transforms.v2.

Each preset transforms an image and its ``tv_tensors.Mask`` together: geometry on both
(nearest-neighbour for the mask), colour on the image alone. They are made of plain v2 steps, so
``data.on_device=true`` runs them on whole batches (core's ``plan_from_transform`` reads the steps).
"""

from __future__ import annotations

from collections.abc import Sequence

from torchvision.transforms import v2

from nnframe.core.cv_tools import to_float_normalized


def segmentation_train_transform(
    image_size: int = 256,
    normalization: str | Sequence[Sequence[float]] = "imagenet",
    min_scale: float = 0.5,
    hflip: bool = True,
    color_jitter: float = 0.2,
    in_channels: int | None = None,
    crop: str = "random_resized_crop",
) -> v2.Compose:
    """Joint image + ``tv_tensors.Mask`` augmentation: random resized crop (or a plain resize)
    and flip on both (nearest-neighbour for the mask), colour jitter on the image alone.

    Args:
        image_size: output side in pixels.
        normalization: dataset name in ``NORMALIZATION_STATS`` or ``[mean, std]``.
        min_scale: smallest area fraction of ``random_resized_crop``.
        hflip: random horizontal flip.
        color_jitter: strength of brightness/contrast/saturation jitter (0 = off).
        in_channels: channels of the images (None: as many as the stats have).
        crop: ``random_resized_crop`` (a random box zoomed to ``image_size``) or ``resize``
            (no zoom: the whole image resized to ``image_size`` x ``image_size``).
    """
    steps: list[v2.Transform] = [v2.ToImage()]
    if crop == "random_resized_crop":
        steps.append(v2.RandomResizedCrop(image_size, scale=(min_scale, 1.0), antialias=True))
    elif crop == "resize":
        steps.append(v2.Resize((image_size, image_size), antialias=True))
    else:
        raise ValueError(f"unknown crop {crop!r}; choose random_resized_crop or resize")
    if hflip:
        steps.append(v2.RandomHorizontalFlip())
    if color_jitter > 0:
        steps.append(v2.ColorJitter(color_jitter, color_jitter, color_jitter))
    return v2.Compose(steps + to_float_normalized(normalization, in_channels))


def segmentation_eval_transform(
    image_size: int | None = 256,
    normalization: str | Sequence[Sequence[float]] = "imagenet",
    in_channels: int | None = None,
) -> v2.Compose:
    """Joint evaluation transform: resize image and mask to ``image_size`` x ``image_size``;
    ``image_size=None`` keeps each image at its own size (for sliding-window inference)."""
    resize = [v2.Resize((image_size, image_size), antialias=True)] if image_size else []
    return v2.Compose([v2.ToImage(), *resize, *to_float_normalized(normalization, in_channels)])
