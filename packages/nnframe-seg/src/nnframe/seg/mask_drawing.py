"""Segmentation masks drawn in the colours of core's ``class_palette``: alone or over their image."""

from __future__ import annotations

import torch

from nnframe.core.cv_tools import class_palette


def mask_to_rgb(mask: torch.Tensor, num_classes: int, ignore_index: int | None = 255) -> torch.Tensor:
    """A class mask in the exact colours of :func:`class_palette`; ignored pixels white.

    Args:
        mask: (H, W) integer class indices.

    Returns:
        (3, H, W) float in [0, 1].
    """
    palette = torch.as_tensor(class_palette(num_classes), dtype=torch.float32) / 255.0
    mask = mask.long().cpu()
    rgb = palette[mask.clamp(0, num_classes - 1)].permute(2, 0, 1)
    if ignore_index is not None:
        rgb = torch.where((mask == ignore_index).unsqueeze(0), torch.ones_like(rgb), rgb)
    return rgb


def overlay_mask(image: torch.Tensor, mask: torch.Tensor, num_classes: int, alpha: float = 0.5,
                 ignore_index: int | None = 255) -> torch.Tensor:
    """Blend a class mask onto an image; background (0) and ignored pixels stay unchanged.

    Args:
        image: (3, H, W) float in [0, 1].
        mask: (H, W) integer class indices.

    Returns:
        (3, H, W) float in [0, 1].
    """
    palette = torch.as_tensor(class_palette(num_classes), dtype=torch.float32) / 255.0
    mask = mask.long().cpu()
    valid = (mask > 0) & (mask < num_classes)
    colours = palette[mask.clamp(0, num_classes - 1)].permute(2, 0, 1)
    image = image.cpu().float()
    blended = torch.where(valid.unsqueeze(0), (1 - alpha) * image + alpha * colours, image)
    if ignore_index is not None:
        blended = torch.where((mask == ignore_index).unsqueeze(0), torch.ones_like(image), blended)
    return blended
