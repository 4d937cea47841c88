"""Image | ground truth | prediction, one row per sample, with a class legend."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from nnframe.core.cv_tools import class_palette, overlay_mask


def segmentation_figure(images: torch.Tensor, target: torch.Tensor, preds: torch.Tensor,
                        class_names: Sequence[str], ignore_index: int | None = 255, max_rows: int = 8) -> Figure:
    """Draw samples as rows of image | ground-truth overlay | prediction overlay.

    The palette is :func:`~nnframe.core.cv_tools.class_palette` (the same colours in every
    figure and in the predicted PNG masks); ignored pixels are drawn white.

    Args:
        images: (N, C, H, W) float in [0, 1].
        target: (N, H, W) class indices (``ignore_index`` for unlabelled pixels).
        preds: (N, H, W) predicted class indices.
        class_names: index = class.
    """
    num_classes = len(class_names)
    rows = min(len(images), max_rows)
    figure, axes = plt.subplots(rows, 3, figsize=(6.6, 2.2 * rows + 0.6), squeeze=False)
    for row in range(rows):
        image = images[row].detach().cpu().float()
        if image.shape[0] == 1:
            image = image.expand(3, -1, -1)
        panels = (image, overlay_mask(image, target[row], num_classes, ignore_index=ignore_index),
                  overlay_mask(image, preds[row], num_classes, ignore_index=None))
        for column, (panel, title) in enumerate(zip(panels, ("image", "ground truth", "prediction"), strict=True)):
            axis = axes[row, column]
            axis.imshow(panel.permute(1, 2, 0).clamp(0, 1).numpy())
            axis.axis("off")
            if row == 0:
                axis.set_title(title, fontsize=8)
    palette = class_palette(num_classes) / 255.0
    handles = [Patch(facecolor=palette[i], edgecolor="grey", label=f"{i}: {name}") for i, name in enumerate(class_names)]
    figure.legend(handles=handles[:40], loc="lower center", ncol=min(len(handles), 6), fontsize=6, frameon=False)
    figure.tight_layout(rect=(0, 0.04 + 0.02 * ((len(handles[:40]) + 5) // 6), 1, 1))
    return figure
