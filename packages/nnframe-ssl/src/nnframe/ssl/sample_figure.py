"""Training samples of a self-supervised batch: the views of each image side by side."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from matplotlib.figure import Figure

from nnframe.core.cv_tools import denormalize, labelled_image_grid, resolve_normalization


def views_samples_figure(views: Sequence[torch.Tensor], normalization: Any, max_images: int = 32) -> Figure:
    """Draw several augmented views of each image: one row per image, one column per view.

    Args:
        views: V tensors (B, C, H, W), normalised; views of other sizes are scaled to the largest.
        normalization: the stats the views were normalised with.
        max_images: cells drawn at most (rows of all views of one image).
    """
    views = [v.detach().cpu().float() for v in views]
    size = max(v.shape[-1] for v in views)
    rows = min(len(views[0]), max(1, max_images // len(views)))
    cells, titles = [], []
    for index in range(rows):
        for number, view in enumerate(views):
            mean, std = resolve_normalization(normalization, view.shape[1])
            image = denormalize(view[index], mean, std)
            if image.shape[-1] != size:
                image = F.interpolate(image[None], size=(size, size), mode="nearest")[0]
            cells.append(image)
            titles.append(f"image {index}, view {number + 1}")
    return labelled_image_grid(torch.stack(cells), titles, columns=len(views))
