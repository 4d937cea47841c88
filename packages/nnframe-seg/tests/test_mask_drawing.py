"""Mask drawing: the exact palette colours, ignored pixels white, overlays on the image."""

from __future__ import annotations

import torch

from nnframe.core.cv_tools import class_palette
from nnframe.seg.mask_drawing import mask_to_rgb, overlay_mask


def test_mask_colours_are_exactly_the_palette_and_ignored_pixels_white() -> None:
    mask = torch.tensor([[0, 1, 2], [255, 1, 0]])
    rgb = (mask_to_rgb(mask, 3, ignore_index=255) * 255).round().to(torch.uint8).permute(1, 2, 0).numpy()
    palette = class_palette(3)
    assert (rgb[0, 1] == palette[1]).all() and (rgb[0, 2] == palette[2]).all() and (rgb[0, 0] == palette[0]).all()
    assert (rgb[1, 0] == 255).all()


def test_overlay_blends_classes_and_leaves_background_alone_and_ignored_white() -> None:
    image = torch.full((3, 2, 2), 0.5)
    mask = torch.tensor([[0, 1], [255, 1]])
    blended = overlay_mask(image, mask, 2, alpha=0.5, ignore_index=255)
    colour = torch.as_tensor(class_palette(2)[1], dtype=torch.float32) / 255.0
    assert torch.equal(blended[:, 0, 0], image[:, 0, 0])
    assert torch.allclose(blended[:, 0, 1], 0.25 + 0.5 * colour) and torch.equal(blended[:, 1, 0], torch.ones(3))
