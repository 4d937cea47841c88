"""The embedded shapes as detection data: several shapes per image, each with its box and class.

Core's :func:`~nnframe.core.data.generate_shapes` keeps one mask of class indices per image, in
which two touching shapes of one class merge and an occluded shape splits: neither gives the
box of each shape. This generator draws the same kind of images with core's rasteriser
(:func:`~nnframe.core.data.synthetic.shapes.rasterize_shapes`, the same outlines and colour rule) and keeps
every shape's own visible pixels, so a box is the extent of what is visible of that shape.
Vectorised over the split like core's generator; the same seed gives the same images.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from nnframe.core.data.synthetic.shapes import MIN_COLOUR_DISTANCE, OUTLINE, SHAPE_NAMES, rasterize_shapes

#: A shape whose visible part is smaller than this (pixels) is left out of the targets: it is
#: (nearly) hidden behind the shapes drawn over it.
MIN_VISIBLE_PIXELS = 12
_CHUNK = 512
_NOISE_CHUNK = 256


@dataclass(frozen=True)
class ShapeBoxes:
    """Arrays of a generated detection split.

    Attributes:
        images: (N, H, W, 3) uint8.
        boxes: per image, (K, 4) float32 ``x1, y1, x2, y2`` in pixels (the visible extent).
        labels: per image, (K,) int64 shape class (index into :data:`SHAPE_NAMES`).
    """

    images: np.ndarray
    boxes: list[np.ndarray]
    labels: list[np.ndarray]


def _colours_apart(rng: np.random.Generator, background: np.ndarray) -> np.ndarray:
    colour = rng.integers(0, 256, size=background.shape)
    while True:
        close = np.abs(colour - background).sum(axis=1) < MIN_COLOUR_DISTANCE
        if not close.any():
            return colour
        colour[close] = rng.integers(0, 256, size=(int(close.sum()), 3))


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
    """Generate a deterministic split of images with 1 to ``max_shapes`` shapes each.

    Args:
        num_samples: number of images.
        image_size: side in pixels.
        seed: the same seed gives the same images.
        min_shapes, max_shapes: shapes per image.
        min_radius, max_radius: shape radius as a fraction of the side.
        noise: standard deviation of the Gaussian pixel noise (0-255 scale).
    """
    if image_size < 16:
        raise ValueError(f"image_size must be at least 16 pixels, got {image_size}")
    if not 1 <= min_shapes <= max_shapes:
        raise ValueError(f"need 1 <= min_shapes <= max_shapes, got {min_shapes} and {max_shapes}")
    rng = np.random.default_rng(seed)
    n, size = num_samples, image_size
    background = rng.integers(0, 256, size=(n, 3))
    counts = rng.integers(min_shapes, max_shapes + 1, size=n)
    # Which shape (its draw order k) owns each pixel: -1 background; later shapes overwrite.
    owner = np.full((n, size, size), -1, dtype=np.int8)
    kinds = np.full((n, max_shapes), -1, dtype=np.int64)
    colours = np.empty((n, max_shapes + 1, 3), dtype=np.uint8)  # [k] shape k, [-1] background
    colours[:, -1] = background
    for k in range(max_shapes):
        drawn = np.flatnonzero(counts > k)
        m = len(drawn)
        kind = rng.integers(len(SHAPE_NAMES), size=m)
        r = rng.uniform(min_radius, max_radius, size=m) * size
        cx, cy = rng.uniform(r, size - r), rng.uniform(r, size - r)
        angle = rng.uniform(0, 2 * math.pi, size=m)
        colours[drawn, k] = _colours_apart(rng, background[drawn])
        kinds[drawn, k] = kind
        for index, name in enumerate(SHAPE_NAMES):
            of_kind = np.flatnonzero(kind == index)
            for start in range(0, len(of_kind), _CHUNK):  # small chunks stay in the CPU's cache
                part = of_kind[start:start + _CHUNK]
                inside = rasterize_shapes(name, cx[part], cy[part], r[part] + OUTLINE, angle[part], size)
                shape, rows, cols = np.nonzero(inside)  # only the covered pixels: no full-image copies
                owner[drawn[part][shape], rows, cols] = k
    images = colours[np.arange(n)[:, None, None], owner]  # owner -1 picks the background
    _add_noise(images, rng, noise)
    boxes, labels = _visible_boxes(owner, kinds, max_shapes)
    return ShapeBoxes(images=images, boxes=boxes, labels=labels)


def _add_noise(images: np.ndarray, rng: np.random.Generator, noise: float) -> None:
    """Add Gaussian noise in place, block by block (a float copy of the whole split is slow to fault in)."""
    for start in range(0, len(images), _NOISE_CHUNK):
        block = images[start:start + _NOISE_CHUNK]
        noisy = rng.standard_normal(block.shape, dtype=np.float32) * np.float32(noise) + block
        np.copyto(block, np.clip(noisy, 0, 255), casting="unsafe")


def _visible_boxes(owner: np.ndarray, kinds: np.ndarray, max_shapes: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per image, the box of each shape's visible pixels (pixel edges: ``x2 = last column + 1``)."""
    n = len(owner)
    per_shape = []  # (n, 5) x1, y1, x2, y2, visible pixels, for each draw order k
    for k in range(max_shapes):
        mine = owner == k
        cols, rows = mine.any(axis=1), mine.any(axis=2)  # (n, W), (n, H)
        x1, x2 = cols.argmax(axis=1), cols.shape[1] - cols[:, ::-1].argmax(axis=1)
        y1, y2 = rows.argmax(axis=1), rows.shape[1] - rows[:, ::-1].argmax(axis=1)
        per_shape.append(np.stack([x1, y1, x2, y2, mine.sum(axis=(1, 2))], axis=1))
    stacked = np.stack(per_shape, axis=1)  # (n, max_shapes, 5)
    keep = (stacked[..., 4] >= MIN_VISIBLE_PIXELS) & (kinds >= 0)
    boxes = [stacked[i, keep[i], :4].astype(np.float32) for i in range(n)]
    labels = [kinds[i, keep[i]] for i in range(n)]
    return boxes, labels
