"""Whole-image and sliding-window inference for images of any size (mmsegmentation's
``whole`` and ``slide`` test modes)."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

Network = Callable[[torch.Tensor], torch.Tensor]


def pad_to_multiple(images: torch.Tensor, multiple: int) -> torch.Tensor:
    """Zero-pad the bottom and right so that height and width are multiples of ``multiple``
    (what encoders with an output stride need). Shape: (B, C, H, W) -> (B, C, H', W')."""
    height, width = images.shape[-2:]
    pad_h, pad_w = (-height) % multiple, (-width) % multiple
    return F.pad(images, (0, pad_w, 0, pad_h)) if pad_h or pad_w else images


def whole_image_logits(net: Network, images: torch.Tensor, multiple: int = 1) -> torch.Tensor:
    """``net`` on the whole images, padded to ``multiple`` and cropped back.

    Shape: (B, C, H, W) -> (B, classes, H, W).
    """
    height, width = images.shape[-2:]
    return net(pad_to_multiple(images, multiple))[..., :height, :width]


def window_starts(length: int, window: int, stride: int) -> list[int]:
    """Start offsets of windows covering ``[0, length)``: every ``stride`` pixels, the last one
    moved back to end at the border (as mmsegmentation's ``slide_inference``)."""
    if length <= window:
        return [0]
    starts = list(range(0, length - window + 1, stride))
    if starts[-1] + window < length:
        starts.append(length - window)
    return starts


def sliding_window_logits(net: Network, images: torch.Tensor, window: int, stride: int | None = None,
                          batch_windows: int = 16) -> torch.Tensor:
    """Logits of ``window`` x ``window`` crops every ``stride`` pixels, averaged where they
    overlap (mmsegmentation's ``slide`` mode, Chen et al.'s DeepLab evaluation).

    Images smaller than the window are zero-padded to it. Up to ``batch_windows`` crops go
    through ``net`` at once.

    Args:
        net: (N, C, window, window) -> (N, classes, window, window) logits.
        images: the normalised images. Shape: (B, C, H, W).
        window: side of the crops (the training crop size, a multiple of the output stride).
        stride: step between crops (default: two thirds of ``window``, mmsegmentation's 512/341).
        batch_windows: crops per forward pass.

    Returns:
        Shape: (B, classes, H, W).

    Raises:
        ValueError: ``window`` or ``stride`` is not positive.
    """
    stride = stride or max(1, (2 * window) // 3)
    if window <= 0 or stride <= 0:
        raise ValueError(f"sliding window {window} and stride {stride} must be positive")
    height, width = images.shape[-2:]
    padded = F.pad(images, (0, max(0, window - width), 0, max(0, window - height)))
    full_h, full_w = padded.shape[-2:]
    boxes = [(top, left) for top in window_starts(full_h, window, stride) for left in window_starts(full_w, window, stride)]
    logits: torch.Tensor | None = None
    counts = torch.zeros(1, 1, full_h, full_w, device=images.device)
    for first in range(0, len(boxes), batch_windows):
        chunk = boxes[first:first + batch_windows]
        crops = torch.cat([padded[..., t:t + window, left:left + window] for t, left in chunk])
        out = net(crops).float()
        if logits is None:
            logits = torch.zeros(images.shape[0], out.shape[1], full_h, full_w, device=images.device)
        for index, (top, left) in enumerate(chunk):
            part = out[index * images.shape[0]:(index + 1) * images.shape[0]]
            logits[..., top:top + window, left:left + window] += part
            counts[..., top:top + window, left:left + window] += 1
    assert logits is not None
    return (logits / counts)[..., :height, :width]
