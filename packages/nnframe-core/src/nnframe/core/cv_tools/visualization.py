"""Figures for TensorBoard: labelled image grids, mask overlays, confusion matrices."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")  # headless: figures are rendered to TensorBoard, never shown
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402


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


def overlay_mask(image: torch.Tensor, mask: torch.Tensor, num_classes: int, alpha: float = 0.5,
                 ignore_index: int | None = 255) -> torch.Tensor:
    """Blend a class mask onto an image; background (0) and ignored pixels stay unchanged.

    Args:
        image: (3, H, W) float in [0, 1].
        mask: (H, W) integer class indices.

    Returns:
        (3, H, W) float in [0, 1].
    """
    palette = torch.as_tensor(class_palette(num_classes), dtype=torch.float32) / 255.0
    mask = mask.long().cpu()
    valid = (mask > 0) & (mask < num_classes)
    colours = palette[mask.clamp(0, num_classes - 1)].permute(2, 0, 1)
    image = image.cpu().float()
    blended = torch.where(valid.unsqueeze(0), (1 - alpha) * image + alpha * colours, image)
    if ignore_index is not None:
        blended = torch.where((mask == ignore_index).unsqueeze(0), torch.ones_like(image), blended)
    return blended


def labelled_image_grid(
    images: torch.Tensor,
    titles: Sequence[str],
    correct: Sequence[bool] | None = None,
    columns: int = 8,
) -> Figure:
    """A grid of images with a title each, green when ``correct`` and red otherwise.

    Args:
        images: (N, C, H, W) float in [0, 1].
    """
    count = len(images)
    columns = min(columns, count) or 1
    rows = (count + columns - 1) // columns
    figure, axes = plt.subplots(rows, columns, figsize=(1.6 * columns, 1.8 * rows), squeeze=False)
    for i, axis in enumerate(axes.flat):
        axis.axis("off")
        if i >= count:
            continue
        image = images[i].detach().cpu().float()
        if image.shape[0] == 1:
            axis.imshow(image[0].numpy(), cmap="gray", vmin=0, vmax=1)
        else:
            axis.imshow(image.permute(1, 2, 0).numpy())
        colour = "black" if correct is None else ("green" if correct[i] else "red")
        axis.set_title(titles[i], fontsize=7, color=colour)
    figure.tight_layout()
    return figure


def confusion_matrix_figure(matrix: torch.Tensor | np.ndarray, class_names: Sequence[str]) -> Figure:
    """Row-normalised confusion matrix (rows: true class) with the raw counts written in."""
    counts = np.asarray(matrix.detach().cpu() if isinstance(matrix, torch.Tensor) else matrix, dtype=np.float64)
    normalised = counts / np.clip(counts.sum(axis=1, keepdims=True), 1, None)
    size = max(4.0, 0.45 * len(class_names) + 2)
    figure, axis = plt.subplots(figsize=(size, size))
    axis.imshow(normalised, cmap="Blues", vmin=0, vmax=1)
    ticks = np.arange(len(class_names))
    axis.set_xticks(ticks, labels=class_names, rotation=90, fontsize=7)
    axis.set_yticks(ticks, labels=class_names, fontsize=7)
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    if len(class_names) <= 30:
        for r in range(counts.shape[0]):
            for c in range(counts.shape[1]):
                axis.text(c, r, f"{int(counts[r, c])}", ha="center", va="center", fontsize=6,
                          color="white" if normalised[r, c] > 0.5 else "black")
    figure.tight_layout()
    return figure
