"""The embedded shapes as detection data: several shapes per image, each with its box and class.

Core's :func:`~nnframe.core.data.generate_shape_instances` draws the images and keeps which shape
each pixel shows (a class mask would merge two touching shapes of one class and split an
occluded one); a box here is the extent of what is visible of one shape.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnframe.core.data import generate_shape_instances

#: A shape whose visible part is smaller than this (pixels) is left out of the targets: it is
#: (nearly) hidden behind the shapes drawn over it.
MIN_VISIBLE_PIXELS = 12


@dataclass(frozen=True)
class ShapeBoxes:
    """Arrays of a generated detection split.

    Attributes:
        images: (N, H, W, 3) uint8.
        boxes: per image, (K, 4) float32 ``x1, y1, x2, y2`` in pixels (the visible extent).
        labels: per image, (K,) int64 shape class (index into :data:`~nnframe.core.data.SHAPE_NAMES`).
    """

    images: np.ndarray
    boxes: list[np.ndarray]
    labels: list[np.ndarray]


def generate_shape_boxes(
    num_samples: int,
    image_size: int = 64,
    seed: int = 0,
    min_shapes: int = 1,
    max_shapes: int = 3,
    min_radius: float = 0.1,
    max_radius: float = 0.22,
    noise: float = 12.0,
) -> ShapeBoxes:
    """Generate a deterministic split of images with ``min_shapes`` to ``max_shapes`` shapes each.

    Args:
        num_samples: number of images.
        image_size: side in pixels.
        seed: the same seed gives the same images.
        min_shapes, max_shapes: shapes per image.
        min_radius, max_radius: radius of every shape as a fraction of the side.
        noise: standard deviation of the Gaussian pixel noise (0-255 scale).
    """
    radius = (min_radius, max_radius)
    shapes = generate_shape_instances(num_samples, image_size, seed, min_shapes, max_shapes, noise,
                                      first_radius=radius, radius=radius)
    boxes, labels = _visible_boxes(shapes.instances, shapes.kinds)
    return ShapeBoxes(images=shapes.images, boxes=boxes, labels=labels)


def _visible_boxes(instances: np.ndarray, kinds: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per image, the box of each shape's visible pixels (pixel edges: ``x2 = last column + 1``)."""
    per_shape = []  # (n, 5) x1, y1, x2, y2, visible pixels, for each draw order k
    for k in range(kinds.shape[1]):
        mine = instances == k
        cols, rows = mine.any(axis=1), mine.any(axis=2)  # (n, W), (n, H)
        x1, x2 = cols.argmax(axis=1), cols.shape[1] - cols[:, ::-1].argmax(axis=1)
        y1, y2 = rows.argmax(axis=1), rows.shape[1] - rows[:, ::-1].argmax(axis=1)
        per_shape.append(np.stack([x1, y1, x2, y2, mine.sum(axis=(1, 2))], axis=1))
    stacked = np.stack(per_shape, axis=1)  # (n, max_shapes, 5)
    keep = (stacked[..., 4] >= MIN_VISIBLE_PIXELS) & (kinds >= 0)
    boxes = [stacked[i, keep[i], :4].astype(np.float32) for i in range(len(instances))]
    labels = [kinds[i, keep[i]] for i in range(len(instances))]
    return boxes, labels
