"""A grid of training samples as the model receives them (after augmentation), drawn back to
images with their class labels as titles: ``TaskModule.sample_figure``'s default. A task whose
samples look otherwise draws them itself (seg overlays masks, ssl shows the views side by side).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
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
