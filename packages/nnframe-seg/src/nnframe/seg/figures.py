"""Image | ground truth | prediction per sample, with a class legend in the masks' colours."""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from nnframe.core.cv_tools import class_palette, mask_to_rgb

_PANEL_INCHES = 1.6
_PANELS = ("image", "ground truth")
_LEGEND_ALL_CLASSES = 24  # more classes: the legend lists those in the figure


def segmentation_figure(images: torch.Tensor, target: torch.Tensor, preds: torch.Tensor,
                        class_names: Sequence[str], ignore_index: int | None = 255, max_samples: int = 8,
                        samples_per_row: int | None = None) -> Figure:
    """Draw each sample as image | ground truth | prediction, the masks opaque in the palette's
    colours, so that every colour is exactly one of the legend's.

    The palette is :func:`~nnframe.core.cv_tools.class_palette` (the same colours in every
    figure and in the predicted PNG masks); ignored pixels are white. Each prediction's title
    gives its pixel accuracy (ignored pixels left out).

    Args:
        images: (N, C, H, W) float in [0, 1].
        target: (N, H, W) class indices (``ignore_index`` for unlabelled pixels).
        preds: (N, H, W) predicted class indices.
        class_names: index = class.
        ignore_index: target value of unlabelled pixels.
        max_samples: samples drawn at most.
        samples_per_row: samples side by side (default: 2 from 4 samples on, so the figure stays
            wider than tall for TensorBoard's cards).
    """
    num_classes = len(class_names)
    count = min(len(images), max_samples)
    shows_ignored = ignore_index is not None and bool((target[:count] == ignore_index).any())
    per_row = samples_per_row or (2 if count >= 4 else 1)
    rows = max(1, math.ceil(count / per_row))
    columns = 3 * per_row
    shown = list(range(num_classes))
    if num_classes > _LEGEND_ALL_CLASSES:
        present = torch.cat([target[:count].flatten(), preds[:count].flatten()]).unique().tolist()
        shown = [i for i in present if 0 <= i < num_classes]
    labels = [class_names[i] for i in shown[:_LEGEND_ALL_CLASSES]] + ([f"ignored ({ignore_index})"] if shows_ignored else [])
    width = _PANEL_INCHES * (columns + 0.15 * (per_row - 1))
    # Legend entries of 9 pt text (about 0.075 in a character) and a 0.45 in patch and gap.
    fits = max(1, min(len(labels), int(width // (0.45 + 0.075 * max(map(len, labels), default=1)))))
    legend_columns = math.ceil(len(labels) / math.ceil(len(labels) / fits)) if labels else 1  # rows evenly full
    height = rows * (_PANEL_INCHES + 0.25) + 0.3 + 0.22 * math.ceil(len(labels) / legend_columns)
    # A narrow empty column between samples that sit side by side.
    ratios = [r for block in range(per_row) for r in ((0.15,) if block else ()) + (1.0, 1.0, 1.0)]
    figure, axes = plt.subplots(rows, len(ratios), figsize=(width, height), squeeze=False, layout="constrained",
                                width_ratios=ratios)
    for axis in axes.flat:
        axis.axis("off")
    for index in range(count):
        row, block = divmod(index, per_row)
        image = images[index].detach().cpu().float().clamp(0, 1)
        if image.shape[0] == 1:
            image = image.expand(3, -1, -1)
        truth, pred = target[index].detach().cpu().long(), preds[index].detach().cpu().long()
        labelled = truth != ignore_index if ignore_index is not None else torch.ones_like(truth, dtype=torch.bool)
        accuracy = (pred[labelled] == truth[labelled]).float().mean().item() if labelled.any() else float("nan")
        panels = (image, mask_to_rgb(truth, num_classes, ignore_index), mask_to_rgb(pred, num_classes, None))
        titles = (*_PANELS, f"predicted, {100 * accuracy:.0f}% right" if math.isfinite(accuracy) else "predicted")
        for offset, (panel, title) in enumerate(zip(panels, titles, strict=True)):
            axis = axes[row, 4 * block + offset]
            axis.axis("on")  # a thin frame: white (ignored) pixels stay visible at the edges
            axis.set_xticks([])
            axis.set_yticks([])
            for spine in axis.spines.values():
                spine.set_linewidth(0.5)
                spine.set_color("grey")
            axis.imshow(panel.permute(1, 2, 0).numpy(), interpolation="nearest")
            axis.set_title(title, fontsize=9)
    palette = class_palette(num_classes) / 255.0
    colours = [palette[i] for i in shown[:_LEGEND_ALL_CLASSES]] + ([(1.0, 1.0, 1.0)] if shows_ignored else [])
    handles = [Patch(facecolor=colour, edgecolor="black", linewidth=0.5, label=label)
               for colour, label in zip(colours, labels, strict=True)]
    figure.legend(handles=handles, loc="outside lower center", ncol=legend_columns, fontsize=9, frameon=False,
                  handlelength=1.2, columnspacing=1.0)
    return figure
