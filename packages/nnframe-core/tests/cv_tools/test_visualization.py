"""Figures for TensorBoard: sizes that fit its views, titles clear of the images, readable matrices."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from nnframe.core.cv_tools import (
    class_palette,
    confusion_matrix_figure,
    grid_shape,
    labelled_image_grid,
    mask_to_rgb,
)


@pytest.mark.parametrize(("count", "shape"), [(1, (1, 1)), (5, (2, 3)), (16, (3, 6)), (17, (3, 6)), (64, (8, 8)),
                                              (100, (13, 8))])
def test_grid_shape_is_wider_than_tall_and_at_most_eight_wide(count: int, shape: tuple[int, int]) -> None:
    rows, columns = grid_shape(count)
    assert (rows, columns) == shape and rows * columns >= count


def _pixel_boxes(figure):
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    return renderer


def test_prediction_grid_titles_never_overlap_the_images_and_it_fits_the_screen() -> None:
    names = ["circle", "a_class_name_far_too_long_for_a_title", "square"]
    titles = [f"{names[i % 3]}\n→ {names[(i + 1) % 3]}" for i in range(16)]
    figure = labelled_image_grid(torch.rand(16, 3, 32, 32), titles, [i % 2 == 0 for i in range(16)],
                                 header="true → predicted")
    renderer = _pixel_boxes(figure)
    width, height = figure.get_size_inches() * figure.dpi
    assert width <= 1400 and height <= 1000, "fits TensorBoard's actual-size view on a 1600 px screen"
    axes = [a for a in figure.axes if a.images]
    assert len(axes) == 16 and len({round(a.get_position().x0, 3) for a in axes}) == 6  # 3 x 6
    assert width > height, "wider than tall, as TensorBoard's cards"
    image_boxes = [a.get_window_extent(renderer) for a in axes]
    for axis in axes:
        title = axis.title.get_window_extent(renderer)
        assert title.x0 >= 0 and title.x1 <= width, f"title {axis.title.get_text()!r} is cut off"
        assert not any(title.overlaps(box) for box in image_boxes), f"title {axis.title.get_text()!r} overlaps"
    assert axes[0].title.get_color() == "#1a7f37" and axes[0].title.get_text().startswith("✓")
    assert axes[1].title.get_color() == "#cf222e" and axes[1].title.get_text().startswith("✗")
    assert figure._suptitle.get_text() == "true → predicted"
    plt.close(figure)


def test_confusion_matrix_is_row_normalised_with_counts_title_and_colour_bar() -> None:
    counts = np.array([[8, 2], [1, 89]])
    figure = confusion_matrix_figure(counts, ["cat", "dog"], title="validation confusion matrix, epoch 3")
    axis, bar = figure.axes
    assert axis.get_title() == "validation confusion matrix, epoch 3"
    assert bar.get_ylabel() == "% of the true class"
    assert np.allclose(axis.images[0].get_array(), [[80, 20], [100 / 90, 8900 / 90]])
    assert [t.get_text() for t in axis.texts] == ["8", "2", "1", "89"]
    plt.close(figure)

    pixels = np.array([[3_000_000, 1_000_000], [20, 999_980]])
    figure = confusion_matrix_figure(pixels, ["bg", "cat"], cell_text="percent")
    assert [t.get_text() for t in figure.axes[0].texts] == ["75%", "25%", "<0.1%", "100%"]
    plt.close(figure)


def test_mask_colours_are_exactly_the_palette_and_ignored_pixels_white() -> None:
    mask = torch.tensor([[0, 1, 2], [255, 1, 0]])
    rgb = (mask_to_rgb(mask, 3, ignore_index=255) * 255).round().to(torch.uint8).permute(1, 2, 0).numpy()
    palette = class_palette(3)
    assert (rgb[0, 1] == palette[1]).all() and (rgb[0, 2] == palette[2]).all() and (rgb[0, 0] == palette[0]).all()
    assert (rgb[1, 0] == 255).all()
