"""Augmentation of whole uint8 batches on the training device (the on-device data path).

The per-image torchvision pipeline of the classification presets translates one to one:
pad-and-crop, horizontal flip and normalisation draw one random choice per image, exactly as
``v2.RandomCrop(padding=p)`` / ``v2.RandomHorizontalFlip`` do image by image. Random resized
crops (for two-view self-supervised batches) sample boxes as torchvision does and resample them
with ``roi_align`` (bilinear, without the antialiasing the per-image resize uses).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch.nn import functional as F
from torchvision.ops import roi_align
from torchvision.transforms import v2

from nnframe.core.errors import ConfigError


def random_crop_with_padding(images: torch.Tensor, padding: int, generator: torch.Generator | None = None,
                             ) -> torch.Tensor:
    """Zero-pad by ``padding`` on every side, then crop the original size at a random offset per image.

    Two ``gather`` passes (rows, then columns) with a per-image offset: one kernel each and no
    data-dependent shapes, so nothing waits for the GPU.

    Shape: (B, C, H, W) -> (B, C, H, W); any dtype.
    """
    if padding <= 0:
        return images
    b, c, h, w = images.shape
    padded = F.pad(images, (padding, padding, padding, padding))
    offsets = torch.randint(0, 2 * padding + 1, (2, b), device=images.device, generator=generator)
    row_index = (offsets[0, :, None] + torch.arange(h, device=images.device))[:, None, :, None]
    rows = padded.gather(2, row_index.expand(b, c, h, w + 2 * padding))
    col_index = (offsets[1, :, None] + torch.arange(w, device=images.device))[:, None, None, :]
    return rows.gather(3, col_index.expand(b, c, h, w))


def random_hflip(images: torch.Tensor, p: float = 0.5, generator: torch.Generator | None = None) -> torch.Tensor:
    """Flip each image left-right with probability ``p``. Shape: (B, C, H, W)."""
    if p <= 0:
        return images
    flip = torch.rand(images.shape[0], device=images.device, generator=generator) < p
    return torch.where(flip[:, None, None, None], images.flip(-1), images)


def random_resized_crop_boxes(batch: int, height: int, width: int, scale: Sequence[float],
                              ratio: Sequence[float], device: torch.device,
                              generator: torch.Generator | None = None, attempts: int = 10) -> torch.Tensor:
    """Boxes ``(x1, y1, x2, y2)`` sampled like ``v2.RandomResizedCrop`` (10 tries, then the
    centred largest box of an allowed aspect ratio). Shape: (B, 4) float."""
    area = height * width
    target = area * torch.empty(batch, attempts, device=device).uniform_(scale[0], scale[1], generator=generator)
    log_ratio = torch.empty(batch, attempts, device=device).uniform_(
        math.log(ratio[0]), math.log(ratio[1]), generator=generator)
    aspect = torch.exp(log_ratio)
    w = torch.sqrt(target * aspect).round()
    h = torch.sqrt(target / aspect).round()
    valid = (w > 0) & (h > 0) & (w <= width) & (h <= height)
    first = torch.where(valid.any(1), valid.float().argmax(1), torch.full((batch,), -1, device=device))
    pick = first.clamp(min=0)[:, None]
    w, h = w.gather(1, pick).squeeze(1), h.gather(1, pick).squeeze(1)
    # Fallback as torchvision: the whole image cropped to the nearest allowed aspect ratio.
    in_ratio = width / height
    fw = float(width) if ratio[0] <= in_ratio <= ratio[1] else (
        float(round(height * min(ratio))) if in_ratio < min(ratio) else float(width))
    fh = float(height) if ratio[0] <= in_ratio <= ratio[1] else (
        float(height) if in_ratio < min(ratio) else float(round(width / max(ratio))))
    fallback = first < 0
    w = torch.where(fallback, torch.full_like(w, fw), w)
    h = torch.where(fallback, torch.full_like(h, fh), h)
    u = torch.rand(2, batch, device=device, generator=generator)
    y1 = torch.where(fallback, (height - h) / 2, torch.floor(u[0] * (height - h + 1)))
    x1 = torch.where(fallback, (width - w) / 2, torch.floor(u[1] * (width - w + 1)))
    return torch.stack([x1, y1, x1 + w, y1 + h], dim=1)


def random_resized_crop(images: torch.Tensor, size: int, scale: Sequence[float] = (0.08, 1.0),
                        ratio: Sequence[float] = (3 / 4, 4 / 3), generator: torch.Generator | None = None,
                        ) -> torch.Tensor:
    """A random box per image resampled to ``size`` x ``size`` (bilinear).

    Shape: (B, C, H, W) float -> (B, C, size, size).
    """
    b, _, h, w = images.shape
    boxes = random_resized_crop_boxes(b, h, w, scale, ratio, images.device, generator)
    indexed = torch.cat([torch.arange(b, device=images.device, dtype=boxes.dtype)[:, None], boxes], dim=1)
    return roi_align(images, indexed, output_size=(size, size), spatial_scale=1.0, sampling_ratio=2, aligned=True)


def color_jitter(images: torch.Tensor, brightness: float, contrast: float, saturation: float, p: float = 1.0,
                 generator: torch.Generator | None = None) -> torch.Tensor:
    """Random brightness, contrast and saturation factors in ``[1 - s, 1 + s]`` per image, applied
    (in that fixed order) with probability ``p``. Shape: (B, 3, H, W) float in [0, 1]."""
    b = images.shape[0]

    def factors(strength: float) -> torch.Tensor:
        return torch.empty(b, 1, 1, 1, device=images.device).uniform_(
            max(0.0, 1 - strength), 1 + strength, generator=generator)

    out = images
    if brightness > 0:
        out = (out * factors(brightness)).clamp(0, 1)
    if contrast > 0:
        mean = _gray(out).mean(dim=(1, 2, 3), keepdim=True)
        out = ((out - mean) * factors(contrast) + mean).clamp(0, 1)
    if saturation > 0:
        gray = _gray(out)
        out = ((out - gray) * factors(saturation) + gray).clamp(0, 1)
    apply = torch.rand(b, device=images.device, generator=generator) < p
    return torch.where(apply[:, None, None, None], out, images)


def random_grayscale(images: torch.Tensor, p: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Replace each image by its luminance (kept as 3 channels) with probability ``p``."""
    if p <= 0:
        return images
    apply = torch.rand(images.shape[0], device=images.device, generator=generator) < p
    return torch.where(apply[:, None, None, None], _gray(images).expand_as(images), images)


def _gray(images: torch.Tensor) -> torch.Tensor:
    if images.shape[1] != 3:
        return images.mean(dim=1, keepdim=True)
    weights = torch.tensor([0.299, 0.587, 0.114], device=images.device, dtype=images.dtype).view(1, 3, 1, 1)
    return (images * weights).sum(dim=1, keepdim=True)


@dataclass
class BatchAugmentation:
    """Augments a uint8 batch on its device and returns normalised float images.

    Args:
        mean, std: per-channel normalisation, in [0, 1] units.
        crop_padding: pad-and-crop (``v2.RandomCrop(size, padding=p)``); 0 = off.
        hflip: horizontal flip probability.
        resized_crop_size: side of a random resized crop (None = off).
        resized_crop_scale, resized_crop_ratio: its area and aspect ranges.
        jitter: (brightness, contrast, saturation) strengths; jitter_p their probability.
        grayscale_p: probability of a grayscale image.

    Shape: (B, C, H, W) uint8 -> (B, C, H', W') float32.
    """

    mean: Sequence[float]
    std: Sequence[float]
    crop_padding: int = 0
    hflip: float = 0.0
    resized_crop_size: int | None = None
    resized_crop_scale: Sequence[float] = (0.08, 1.0)
    resized_crop_ratio: Sequence[float] = (3 / 4, 4 / 3)
    jitter: Sequence[float] = (0.0, 0.0, 0.0)
    jitter_p: float = 0.0
    grayscale_p: float = 0.0

    def __call__(self, images: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        images = random_crop_with_padding(images, self.crop_padding, generator)
        if self.resized_crop_size is None:
            images = random_hflip(images, self.hflip, generator)  # on uint8: a quarter of the bytes
        x = images.float().div_(255)
        if self.resized_crop_size is not None:
            x = random_resized_crop(x, self.resized_crop_size, self.resized_crop_scale, self.resized_crop_ratio,
                                    generator)
            x = random_hflip(x, self.hflip, generator)
        if self.jitter_p > 0 and any(self.jitter):
            x = color_jitter(x, *self.jitter, p=self.jitter_p, generator=generator)
        x = random_grayscale(x, self.grayscale_p, generator)
        mean = torch.tensor(self.mean, device=x.device).view(1, -1, 1, 1)
        std = torch.tensor(self.std, device=x.device).view(1, -1, 1, 1)
        return (x - mean) / std


@dataclass
class TransformPlan:
    """A per-image pipeline split into what runs once on the stored images and per batch.

    Attributes:
        resize: side the stored images are resized to once (None = keep).
        center_crop: side they are centre-cropped to once (None = keep).
        augmentation: what runs on every batch.
    """

    resize: int | None
    center_crop: int | None
    augmentation: BatchAugmentation


def plan_from_transform(transform: object) -> TransformPlan:
    """Translate a ``v2.Compose`` of the classification presets into a :class:`TransformPlan`.

    Supported: ToImage, Resize, CenterCrop, RandomCrop (zero padding), RandomResizedCrop,
    RandomHorizontalFlip, ToDtype, Normalize.

    Raises:
        ConfigError: a step has no batch version (names it and the way out).
    """
    steps = list(getattr(transform, "transforms", [transform] if transform is not None else []))
    resize = center_crop = None
    mean: Sequence[float] = (0.0, 0.0, 0.0)
    std: Sequence[float] = (1.0, 1.0, 1.0)
    kwargs: dict[str, object] = {}
    for step in steps:
        if isinstance(step, v2.ToImage | v2.ToDtype):
            continue
        if isinstance(step, v2.Resize) and not kwargs:
            resize = _side(step.size, "Resize")
        elif isinstance(step, v2.CenterCrop) and not kwargs:
            center_crop = _side(step.size, "CenterCrop")
        elif isinstance(step, v2.RandomCrop):
            padding = step.padding if step.padding is not None else [0]
            if len(set(padding)) != 1 or step.padding_mode != "constant" or step.pad_if_needed:
                raise ConfigError("data.on_device supports RandomCrop with one zero padding on all sides")
            kwargs["crop_padding"] = int(padding[0])
        elif isinstance(step, v2.RandomResizedCrop):
            kwargs.update(resized_crop_size=_side(step.size, "RandomResizedCrop"),
                          resized_crop_scale=tuple(step.scale), resized_crop_ratio=tuple(step.ratio))
        elif isinstance(step, v2.RandomHorizontalFlip):
            kwargs["hflip"] = float(step.p)
        elif isinstance(step, v2.Normalize):
            mean, std = tuple(step.mean), tuple(step.std)
        else:
            raise ConfigError(
                f"data.on_device=true has no batch version of {type(step).__name__}; remove it from the "
                "transform or set data.on_device=false"
            )
    return TransformPlan(resize, center_crop, BatchAugmentation(mean, std, **kwargs))  # type: ignore[arg-type]


def _side(size: object, name: str) -> int:
    sides = [size] if isinstance(size, int) else list(size)  # type: ignore[call-overload]
    if len(set(sides)) != 1:
        raise ConfigError(f"data.on_device supports square {name} sizes only, got {size}")
    return int(sides[0])
