"""A grid of training samples as the model receives them (after augmentation), drawn back to
images: labels as titles, masks overlaid, self-supervised views side by side."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from matplotlib.figure import Figure

from nnframe.core.cv_tools.normalization import denormalize, resolve_normalization
from nnframe.core.cv_tools.visualization import (
    _overlay_mask as overlay_mask,  # goes to seg with the mask branch
)
from nnframe.core.cv_tools.visualization import class_palette, labelled_image_grid


def _label_title(target: torch.Tensor, names: Sequence[str]) -> str:
    def name(index: int) -> str:
        return names[index] if 0 <= index < len(names) else str(index)

    if target.ndim == 1:  # multi-hot
        labels = [name(int(i)) for i in torch.nonzero(target > 0.5).flatten()]
        return ", ".join(labels) if labels else "(no label)"
    return name(int(target))


def training_samples_figure(batch: Any, class_names: Sequence[str], normalization: Any,
                            ignore_index: int | None = 255, max_images: int = 32) -> Figure:
    """Draw the first images of a training batch.

    Args:
        batch: ``(images, target)`` as the loader yields it: images (B, C, H, W) normalised, or a
            list of such views (self-supervised); target (B,) class indices, (B, K) multi-hot
            labels, or (B, H, W) masks.
        class_names: index = class.
        normalization: the stats the images were normalised with (adapted to their channels).
        ignore_index: mask value of unlabelled pixels (drawn white).
        max_images: images drawn (views: rows of all views of one image).
    """
    images, target = batch[0], batch[1]
    if isinstance(images, list | tuple):  # views: one row per image, one column per view
        views = [v.detach().cpu().float() for v in images]
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
    images = images[:max_images].detach().cpu().float()
    target = torch.as_tensor(target)[:max_images].detach().cpu()
    mean, std = resolve_normalization(normalization, images.shape[1])
    shown = denormalize(images, mean, std)
    if target.ndim == 3:  # masks
        shown = shown.expand(-1, 3, -1, -1) if shown.shape[1] == 1 else shown
        overlays = torch.stack([overlay_mask(image, mask, max(len(class_names), 1), ignore_index=ignore_index)
                                for image, mask in zip(shown, target, strict=True)])
        present = sorted({int(v) for v in target.unique()} - {ignore_index})
        titles = [", ".join(class_names[v] if v < len(class_names) else str(v)
                            for v in sorted(set(mask.unique().tolist()) - {ignore_index})) or "(all ignored)"
                  for mask in target]
        palette = class_palette(max(len(class_names), 1)) / 255.0
        from matplotlib.patches import Patch

        handles = [Patch(facecolor=palette[v], edgecolor="grey", label=f"{v}: {class_names[v]}")
                   for v in present if v < len(class_names)][:24]
        legend_rows = math.ceil(len(handles) / 6)
        figure = labelled_image_grid(overlays, titles, footer=12 * legend_rows + 8 if handles else 0)
        if handles:
            figure.legend(handles=handles, loc="lower center", ncol=min(len(handles), 6), fontsize=6,
                          frameon=False, borderaxespad=0.2)
        return figure
    titles = [_label_title(t, class_names) for t in target]
    return labelled_image_grid(shown, titles)
