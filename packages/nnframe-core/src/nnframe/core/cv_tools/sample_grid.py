"""A grid of training samples as the model receives them (after augmentation), drawn back to
images: class labels as titles, or several views of each image side by side.

What a task's samples look like is the task's to say (``TaskModule.sample_figure``); these are
the drawings of labelled images that the default and the self-supervised views use.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from matplotlib.figure import Figure

from nnframe.core.cv_tools.normalization import denormalize, resolve_normalization
from nnframe.core.cv_tools.visualization import labelled_image_grid


def _label_title(target: torch.Tensor, names: Sequence[str]) -> str:
    def name(index: int) -> str:
        return names[index] if 0 <= index < len(names) else str(index)

    if target.ndim == 1:  # multi-hot
        labels = [name(int(i)) for i in torch.nonzero(target > 0.5).flatten()]
        return ", ".join(labels) if labels else "(no label)"
    return name(int(target))


def training_samples_figure(images: torch.Tensor, target: torch.Tensor, class_names: Sequence[str],
                            normalization: Any, max_images: int = 32) -> Figure:
    """Draw the first images of a training batch with their class labels as titles.

    Args:
        images: (B, C, H, W) normalised.
        target: (B,) class indices or (B, K) multi-hot labels.
        class_names: index = class.
        normalization: the stats the images were normalised with (adapted to their channels).
        max_images: images drawn.
    """
    images = images[:max_images].detach().cpu().float()
    target = torch.as_tensor(target)[:max_images].detach().cpu()
    mean, std = resolve_normalization(normalization, images.shape[1])
    titles = [_label_title(t, class_names) for t in target]
    return labelled_image_grid(denormalize(images, mean, std), titles)


def views_figure(views: Sequence[torch.Tensor], normalization: Any, max_images: int = 32) -> Figure:
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
