"""The segmentation figure: opaque masks whose colours are exactly the legend's, sized for TensorBoard."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from nnframe.core.cv_tools import class_palette
from nnframe.seg.figures import segmentation_figure

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
    panels = [a for a in figure.axes if a.images]
    assert [a.get_title() for a in panels[:3]] == ["image", "ground truth", "predicted, 94% right"]  # 32 of 552 labelled pixels wrong
    legend = figure.legends[0]
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels == [*NAMES, "ignored (255)"]
    assert all(t.get_fontsize() >= 9 for t in legend.get_texts())
    legend_colours = {tuple(np.round(np.array(p.get_facecolor()[:3]) * 255).astype(int)) for p in legend.legend_handles}
    assert legend_colours == {*map(tuple, class_palette(3).astype(int)), (255, 255, 255)}
    for axis in panels[1:3]:  # ground truth, prediction: opaque, so every pixel is a legend colour
        pixels = np.round(np.asarray(axis.images[0].get_array()) * 255).astype(int).reshape(-1, 3)
        assert {tuple(p) for p in pixels} <= legend_colours
    width, height = figure.get_size_inches() * figure.dpi
    assert width <= 1400 and height <= 1000 and width > height, "two samples side by side: wider than tall"
    plt.close(figure)


def test_more_than_24_classes_list_only_those_in_the_figure() -> None:
    images, target, preds = _sample(2)
    names = [f"class {i}" for i in range(40)]
    figure = segmentation_figure(images, target, preds, names)
    assert [t.get_text() for t in figure.legends[0].get_texts()] == ["class 0", "class 1", "class 2", "ignored (255)"]
    plt.close(figure)
