"""Image | ground truth | prediction per sample, with a class legend in the masks' colours."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from nnframe.core.cv_tools import class_palette, labelled_image_grid
from nnframe.core.cv_tools.panel_canvas import DPI, PanelCanvas, image_array, sample_blocks
from nnframe.seg.mask_drawing import mask_to_rgb, overlay_mask

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
    shown = list(range(num_classes))
    if num_classes > _LEGEND_ALL_CLASSES:
        present = torch.cat([target[:count].flatten(), preds[:count].flatten()]).unique().tolist()
        shown = [i for i in present if 0 <= i < num_classes]
    labels = [class_names[i] for i in shown[:_LEGEND_ALL_CLASSES]] + ([f"ignored ({ignore_index})"] if shows_ignored else [])
    panel, title_band, pad = round(_PANEL_INCHES * DPI), 25, 6
    width, grid_height, cells = sample_blocks(count, len(_PANELS) + 1, panel, title_band, top=10,
                                              per_row=samples_per_row)
    # Legend entries of 9 pt text (about 0.075 in a character) and a 0.45 in patch and gap.
    fits = max(1, min(len(labels), int(width / DPI // (0.45 + 0.075 * max(map(len, labels), default=1)))))
    legend_columns = math.ceil(len(labels) / math.ceil(len(labels) / fits)) if labels else 1  # rows evenly full
    canvas = PanelCanvas(width, grid_height + 10 + 22 * math.ceil(len(labels) / legend_columns))
    for index in range(count):
        truth, pred = target[index].detach().cpu().long(), preds[index].detach().cpu().long()
        labelled = truth != ignore_index if ignore_index is not None else torch.ones_like(truth, dtype=torch.bool)
        accuracy = (pred[labelled] == truth[labelled]).float().mean().item() if labelled.any() else float("nan")
        panels = (images[index], mask_to_rgb(truth, num_classes, ignore_index), mask_to_rgb(pred, num_classes, None))
        titles = (*_PANELS, f"predicted, {100 * accuracy:.0f}% right" if math.isfinite(accuracy) else "predicted")
        for (x, y), pixels, title in zip(cells[index], panels, titles, strict=True):
            # A thin frame: white (ignored) pixels stay visible at the edges.
            _, drawn_top, _, _ = canvas.image(image_array(pixels), x + pad, y, panel - 2 * pad, panel - pad, frame=True)
            canvas.text(x + panel / 2, drawn_top - 4, title, fontsize=9, ha="center", va="bottom")
    figure = canvas.finish()
    palette = class_palette(num_classes) / 255.0
    colours = [palette[i] for i in shown[:_LEGEND_ALL_CLASSES]] + ([(1.0, 1.0, 1.0)] if shows_ignored else [])
    handles = [Patch(facecolor=colour, edgecolor="black", linewidth=0.5, label=label)
               for colour, label in zip(colours, labels, strict=True)]
    figure.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 4 / canvas.height),
                  ncol=legend_columns, fontsize=9, frameon=False, handlelength=1.2, columnspacing=1.0)
    return figure


def masks_overlay_figure(images: Sequence[torch.Tensor], masks: Sequence[torch.Tensor], class_names: Sequence[str],
                         titles: Sequence[str] | None = None, columns: int | None = None) -> Figure:
    """Each image followed by its mask over it, in a grid with a legend of the classes' colours
    (class 0, the background, is left unpainted).

    For masks without a ground truth (``predict``'s PNGs), where :func:`segmentation_figure`
    needs one.

    Args:
        images: each (3, H, W) float in [0, 1].
        masks: each (H, W) class indices (the image's size).
        class_names: index = class.
        titles: two per image (the image's, its mask's); default: none.
        columns: panels per row.
    """
    num_classes = len(class_names)
    pictures = []
    for image, mask in zip(images, masks, strict=True):
        pictures += [image.float(), overlay_mask(image, mask, num_classes, ignore_index=None)]
    labels = list(class_names[1:])
    legend_rows = math.ceil(len(labels) / 6) if labels else 0
    figure = labelled_image_grid(torch.stack(pictures), list(titles or [""] * len(pictures)), columns=columns,
                                 footer=10 + 22 * legend_rows)
    palette = class_palette(num_classes) / 255.0
    handles = [Patch(facecolor=palette[i], edgecolor="black", linewidth=0.5, label=name)
               for i, name in enumerate(class_names) if i > 0]
    if handles:
        height = figure.get_size_inches()[1] * DPI
        figure.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 4 / height),
                      ncol=min(6, len(handles)), fontsize=9, frameon=False, handlelength=1.2, columnspacing=1.0)
    return figure
