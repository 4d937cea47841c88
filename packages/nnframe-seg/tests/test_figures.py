"""The segmentation figure: opaque masks whose colours are exactly the legend's, sized for TensorBoard."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from nnframe.core.cv_tools import class_palette
from nnframe.seg.figures import masks_overlay_figure, segmentation_figure

NAMES = ["background", "circle", "square"]


def _sample(count: int = 6) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    target = torch.zeros(count, 24, 24, dtype=torch.long)
    target[:, 4:12, 4:12] = 1
    target[:, 14:20, 10:22] = 2
    target[:, 0, :] = 255  # an unlabelled row
    preds = target.clone()
    preds[preds == 255] = 0
    preds[:, 4:12, 4:8] = 2  # half the circle wrong: 32 pixels
    return torch.rand(count, 3, 24, 24), target, preds


def test_mask_panels_hold_only_legend_colours_and_the_legend_is_readable() -> None:
    images, target, preds = _sample()
    figure = segmentation_figure(images, target, preds, NAMES)
    figure.canvas.draw()
    (axis,) = figure.axes
    panels = axis.images
    assert len(panels) == 18 and len(axis.texts) == 18  # 6 samples x 3 panels, a title each
    assert [t.get_text() for t in axis.texts[:3]] == ["image", "ground truth", "predicted, 94% right"]  # 32 of 552 labelled pixels wrong
    legend = figure.legends[0]
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels == [*NAMES, "ignored (255)"]
    assert all(t.get_fontsize() >= 9 for t in legend.get_texts())
    legend_colours = {tuple(np.round(np.array(p.get_facecolor()[:3]) * 255).astype(int)) for p in legend.legend_handles}
    assert legend_colours == {*map(tuple, class_palette(3).astype(int)), (255, 255, 255)}
    for panel in panels[1:3]:  # ground truth, prediction: opaque, so every pixel is a legend colour
        pixels = np.asarray(panel.get_array()).astype(int).reshape(-1, 3)
        assert {tuple(p) for p in pixels} <= legend_colours
    renderer = figure.canvas.get_renderer()
    boxes = [p.get_window_extent(renderer) for p in panels]
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    legend_box = legend.get_window_extent(renderer)
    assert not any(legend_box.overlaps(b) for b in boxes), "the legend sits below the panels"
    assert not any(t.get_window_extent(renderer).overlaps(b) for t in axis.texts for b in boxes)
    width, height = figure.get_size_inches() * figure.dpi
    assert width <= 1400 and height <= 1000 and width > height, "two samples side by side: wider than tall"
    plt.close(figure)


def test_more_than_24_classes_list_only_those_in_the_figure() -> None:
    images, target, preds = _sample(2)
    names = [f"class {i}" for i in range(40)]
    figure = segmentation_figure(images, target, preds, names)
    assert [t.get_text() for t in figure.legends[0].get_texts()] == ["class 0", "class 1", "class 2", "ignored (255)"]
    plt.close(figure)


def test_predicted_masks_over_their_images_have_a_class_legend_in_the_overlay_colours() -> None:
    images, _, preds = _sample(4)
    figure = masks_overlay_figure(list(images), list(preds), NAMES, [f"t{i}" for i in range(8)], columns=4)
    figure.canvas.draw()
    legend = figure.legends[0]
    assert [t.get_text() for t in legend.get_texts()] == NAMES[1:], "background is left unpainted"
    legend_colours = [tuple(np.round(np.array(p.get_facecolor()[:3]) * 255).astype(int)) for p in legend.legend_handles]
    assert legend_colours == [tuple(c) for c in class_palette(3).astype(int)[1:]]
    # The legend sits below the grid, clear of the images.
    renderer = figure.canvas.get_renderer()
    lowest_image = min(a.get_window_extent(renderer).y0 for a in figure.axes)
    assert legend.get_window_extent(renderer).y1 <= lowest_image + 1 or all(
        legend.get_window_extent(renderer).y1 <= im.get_window_extent(renderer).y0 + 1
        for a in figure.axes for im in a.images)
    plt.close(figure)
