"""Figures for TensorBoard: labelled image grids, class palettes, confusion matrices."""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")  # headless: figures are rendered to TensorBoard, never shown
import numpy as np  # noqa: E402
import torch  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from nnframe.core.cv_tools.panel_canvas import DPI, PanelCanvas, image_array  # noqa: E402


def class_palette(num_classes: int) -> np.ndarray:
    """A fixed colour per class (class 0 black as background), the same on every call.

    Shape: (num_classes, 3), uint8.
    """
    base = np.array(
        [
            (0, 0, 0), (230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48),
            (145, 30, 180), (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 212),
            (0, 128, 128), (220, 190, 255), (170, 110, 40), (255, 250, 200), (128, 0, 0),
            (170, 255, 195), (128, 128, 0), (255, 215, 180), (0, 0, 128), (128, 128, 128),
        ],
        dtype=np.uint8,
    )
    if num_classes <= len(base):
        return base[:num_classes].copy()
    rng = np.random.default_rng(0)
    extra = rng.integers(0, 256, size=(num_classes - len(base), 3), dtype=np.uint8)
    return np.concatenate([base, extra])


# Sizes for TensorBoard: its cards show a figure scaled to about 500 px wide, its "actual size"
# view at 100 dpi; a figure at most ~13 inches wide fits a 1600 px screen in both.
_CELL_INCHES = 1.6
_MAX_COLUMNS = 8


def grid_shape(count: int, cell_aspect: float = 1.25, max_columns: int = _MAX_COLUMNS) -> tuple[int, int]:
    """``(rows, columns)`` for ``count`` panels, the grid about 1.6 times wider than tall, as
    TensorBoard's cards are: a figure of that shape fills a card, a taller one is shrunk to its
    height (16 images: 3 x 6).

    Args:
        count: panels.
        cell_aspect: height / width of one panel with its title.
        max_columns: at most this many columns (the figure stays within a screen's width).
    """
    if count <= 0:
        return 1, 1
    columns = max(1, min(max_columns, count, round(math.sqrt(count * 1.6 * cell_aspect))))
    return math.ceil(count / columns), columns


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def labelled_image_grid(
    images: torch.Tensor,
    titles: Sequence[str],
    correct: Sequence[bool] | None = None,
    columns: int | None = None,
    header: str | None = None,
    footer: int = 0,
) -> Figure:
    """A grid of images with a title each, green (✓) when ``correct`` and red (✗) otherwise.

    Rows and columns follow the count (16 images: 3 x 6); titles are cut to the width of their
    image and sit in a band of their own above it, clear of the row above. Each image fills a
    160 px cell (:class:`~nnframe.core.cv_tools.panel_canvas.PanelCanvas`), its aspect kept.

    Args:
        images: (N, C, H, W) float in [0, 1].
        titles: one per image (one or two lines).
        correct: whether each image's prediction is right (colours and marks the titles).
        columns: images per row; default from the count.
        header: a line above the grid (e.g. ``"true → predicted"``).
        footer: pixels left free below the grid (e.g. for a legend).
    """
    count = len(images)
    title_lines = max((len(t.splitlines()) for t in titles), default=1)
    cell = round(_CELL_INCHES * DPI)
    title_band = round(0.2 * DPI) * title_lines
    _, auto_columns = grid_shape(count, (cell + title_band) / cell)
    columns = min(columns or auto_columns, max(count, 1))
    rows = math.ceil(count / columns) if count else 1
    top = round((0.4 if header else 0.1) * DPI)
    canvas = PanelCanvas(cell * columns, top + rows * (cell + title_band) + footer)
    chars = int(_CELL_INCHES * 72 / (9 * 0.6))  # characters of a 9 pt title across one image
    pad = 4  # pixels between neighbouring images
    for i in range(count):
        row, column = divmod(i, columns)
        x, y = column * cell, top + row * (cell + title_band) + title_band
        canvas.image(image_array(images[i]), x + pad, y + pad, cell - 2 * pad, cell - 2 * pad)
        title = "\n".join(_fit(line, chars - 2) for line in titles[i].splitlines())
        style: dict[str, object] = {"fontsize": 9, "ha": "center", "va": "bottom"}
        if correct is not None:
            ok = bool(correct[i])
            title = ("✓ " if ok else "✗ ") + title
            style["color"] = "#1a7f37" if ok else "#cf222e"
        canvas.text(x + cell / 2, y + pad - 2, title, **style)
    figure = canvas.finish()
    if header:
        figure.suptitle(header, fontsize=11, y=1 - 0.08 * DPI / canvas.height, va="top")
    return figure


def confusion_matrix_figure(
    matrix: torch.Tensor | np.ndarray,
    class_names: Sequence[str],
    title: str = "confusion matrix",
    cell_text: str = "count",
) -> Figure:
    """The confusion matrix, rows normalised (each true class sums to 100%), with a colour bar.

    Args:
        matrix: (classes, classes) counts, rows = true class, columns = predicted class.
        class_names: index = class.
        title: the figure's title.
        cell_text: what each cell says: ``count`` (samples) or ``percent`` (of the true class;
            for pixel counts, which run into millions).
    """
    counts = np.asarray(matrix.detach().cpu() if isinstance(matrix, torch.Tensor) else matrix, dtype=np.float64)
    totals = counts.sum(axis=1, keepdims=True)
    percent = 100 * counts / np.clip(totals, 1, None)
    n = len(class_names)
    names = [_fit(c, 16) for c in class_names]
    label_size = 9 if n <= 20 else 8
    rotated = n > 4
    # Margins measured from the labels (inches; ~0.6 em a character) instead of by constrained
    # layout, which took half of the figure's 140 ms: it is drawn every validation epoch.
    label_inches = 0.6 * label_size / 72 * max(map(len, names), default=1)
    side = min(10.0, max(3.0, 0.5 * n + 2.0))  # the matrix
    title_inches = 0.6 * 11 / 72 * len(title)
    left = max(0.45 + label_inches + 0.1, (0.71 * label_inches - side / (2 * max(n, 1)) + 0.45) if rotated else 0)
    left = max(left, title_inches / 2 - side / 2 + 0.2)
    bottom = 0.5 + (0.71 * label_inches + 0.1 if rotated else 0.25)
    top, bar_gap, bar_width, bar_labels = 0.45, 0.25, 0.22, 0.75
    right = max(bar_gap + bar_width + bar_labels, title_inches / 2 - side / 2 + 0.2)
    width, height = left + side + right, bottom + side + top
    figure = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(figure)
    axis = figure.add_axes((left / width, bottom / height, side / width, side / height))
    shown = axis.imshow(percent, cmap="Blues", vmin=0, vmax=100, aspect="auto")
    bar_axis = figure.add_axes(((left + side + bar_gap) / width, (bottom + 0.1 * side) / height,
                                bar_width / width, 0.8 * side / height))
    colour_bar = figure.colorbar(shown, cax=bar_axis)
    colour_bar.set_label("% of the true class")
    ticks = np.arange(n)
    axis.set_xticks(ticks, labels=names, rotation=45 if rotated else 0,
                    ha="right" if rotated else "center", rotation_mode="anchor", fontsize=label_size)
    axis.set_yticks(ticks, labels=names, fontsize=label_size)
    axis.set_xlabel("predicted class")
    axis.set_ylabel("true class")
    axis.set_title(title, fontsize=11)
    if n <= 30:
        text_size = 9 if n <= 10 else 8 if n <= 20 else 7
        for r in range(n):
            for c in range(n):
                if cell_text == "percent":
                    value = percent[r, c]
                    text = ("0" if value == 0 else "<0.1%" if value < 0.05 else
                            f"{value:.0f}%" if value >= 9.95 else f"{value:.1f}%")
                else:
                    text = f"{int(counts[r, c])}"
                axis.text(c, r, text, ha="center", va="center", fontsize=text_size,
                          color="white" if percent[r, c] > 50 else "black")
    return figure
