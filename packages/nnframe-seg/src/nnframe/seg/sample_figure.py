"""Training samples as the model receives them, their masks overlaid, with a class legend."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from nnframe.core.cv_tools import (
    class_palette,
    denormalize,
    labelled_image_grid,
    overlay_mask,
    resolve_normalization,
)


def mask_samples_figure(images: torch.Tensor, masks: torch.Tensor, class_names: Sequence[str], normalization: Any,
                        ignore_index: int | None = 255, max_images: int = 32) -> Figure:
    """Draw the first images of a training batch with their masks overlaid; each title lists
    the classes present, the legend their colours.

    Args:
        images: (B, C, H, W) normalised.
        masks: (B, H, W) class indices (``ignore_index`` for unlabelled pixels, drawn white).
        class_names: index = class.
        normalization: the stats the images were normalised with (adapted to their channels).
        ignore_index: mask value of unlabelled pixels.
        max_images: images drawn.
    """
    images = images[:max_images].detach().cpu().float()
    target = torch.as_tensor(masks)[:max_images].detach().cpu().as_subclass(torch.Tensor)
    mean, std = resolve_normalization(normalization, images.shape[1])
    shown = denormalize(images, mean, std)
    shown = shown.expand(-1, 3, -1, -1) if shown.shape[1] == 1 else shown
    overlays = torch.stack([overlay_mask(image, mask, max(len(class_names), 1), ignore_index=ignore_index)
                            for image, mask in zip(shown, target, strict=True)])
    present = sorted({int(v) for v in target.unique()} - {ignore_index})
    titles = [", ".join(class_names[v] if v < len(class_names) else str(v)
                        for v in sorted(set(mask.unique().tolist()) - {ignore_index})) or "(all ignored)"
              for mask in target]
    palette = class_palette(max(len(class_names), 1)) / 255.0
    handles = [Patch(facecolor=palette[v], edgecolor="grey", label=f"{v}: {class_names[v]}")
               for v in present if v < len(class_names)][:24]
    legend_rows = math.ceil(len(handles) / 6)
    figure = labelled_image_grid(overlays, titles, footer=12 * legend_rows + 8 if handles else 0)
    if handles:
        figure.legend(handles=handles, loc="lower center", ncol=min(len(handles), 6), fontsize=6,
                      frameon=False, borderaxespad=0.2)
    return figure
