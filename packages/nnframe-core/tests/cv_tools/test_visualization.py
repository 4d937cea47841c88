"""Figures for TensorBoard: sizes that fit its views, titles clear of the images, readable matrices."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from nnframe.core.cv_tools import (
    confusion_matrix_figure,
    grid_shape,
    labelled_image_grid,
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
    images = torch.rand(16, 3, 32, 32)
    figure = labelled_image_grid(images, titles, [i % 2 == 0 for i in range(16)], header="true → predicted")
    renderer = _pixel_boxes(figure)
    width, height = figure.get_size_inches() * figure.dpi
    assert width <= 1400 and height <= 1000, "fits TensorBoard's actual-size view on a 1600 px screen"
    assert width > height, "wider than tall, as TensorBoard's cards"
    (axis,) = figure.axes
    panels = axis.images
    assert len(panels) == 16 and len({round(p.get_extent()[0]) for p in panels}) == 6  # 3 x 6
    image_boxes = [p.get_window_extent(renderer) for p in panels]
    assert all(b.width >= 150 and abs(b.width - b.height) < 1 for b in image_boxes), "square, ~160 px cells"
    assert not any(a.overlaps(b) for i, a in enumerate(image_boxes) for b in image_boxes[i + 1:])
    assert np.array_equal(panels[3].get_array(), (images[3].permute(1, 2, 0) * 255).round().to(torch.uint8).numpy())
    assert len(axis.texts) == 16
    for title in axis.texts:
        box = title.get_window_extent(renderer)
        assert box.x0 >= 0 and box.x1 <= width, f"title {title.get_text()!r} is cut off"
        assert not any(box.overlaps(b) for b in image_boxes), f"title {title.get_text()!r} overlaps"
    assert axis.texts[0].get_color() == "#1a7f37" and axis.texts[0].get_text().startswith("✓")
    assert axis.texts[1].get_color() == "#cf222e" and axis.texts[1].get_text().startswith("✗")
    assert "…" in axis.texts[1].get_text(), "a name too long for its image is cut"
    header = figure._suptitle.get_window_extent(renderer)
    assert figure._suptitle.get_text() == "true → predicted"
    assert not any(header.overlaps(t.get_window_extent(renderer)) for t in axis.texts)
    plt.close(figure)


def test_a_grid_of_other_sizes_keeps_each_images_aspect_and_grey_images_grey() -> None:
    figure = labelled_image_grid(torch.rand(3, 1, 20, 40), ["a", "b", "c"])
    (axis,) = figure.axes
    left, right, bottom, top = axis.images[0].get_extent()
    assert abs((right - left) / (bottom - top) - 2.0) < 1e-6, "a 40 x 20 image drawn 2:1"
    pixels = axis.images[0].get_array()
    assert pixels.shape == (20, 40, 3) and (pixels[..., 0] == pixels[..., 2]).all()
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
