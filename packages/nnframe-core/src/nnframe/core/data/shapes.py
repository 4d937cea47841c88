"""Procedurally generated images of geometric shapes: the embedded default dataset.

Every image has one main shape (its class label) on a noisy background; with
``max_shapes > 1`` more shapes are added (for segmentation). The per-pixel mask holds
``class index + 1`` (0 is background). The same seed always gives the same images.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

SHAPE_NAMES: tuple[str, ...] = ("circle", "square", "triangle", "star", "cross")


@dataclass(frozen=True)
class ShapesArrays:
    """Arrays of a generated shapes split.

    Attributes:
        images: (N, H, W, 3) uint8.
        masks: (N, H, W) uint8; 0 background, ``k + 1`` for shape class ``k``.
        labels: (N,) int64 class of the main (largest, drawn first) shape.
    """

    images: np.ndarray
    masks: np.ndarray
    labels: np.ndarray


def _polygon(kind: str, cx: float, cy: float, r: float, angle: float) -> list[tuple[float, float]]:
    if kind == "square":
        points = [(math.cos(a), math.sin(a)) for a in np.arange(4) * math.pi / 2 + math.pi / 4]
    elif kind == "triangle":
        points = [(math.cos(a), math.sin(a)) for a in np.arange(3) * 2 * math.pi / 3 - math.pi / 2]
    elif kind == "star":
        points = [
            ((1.0 if i % 2 == 0 else 0.45) * math.cos(a), (1.0 if i % 2 == 0 else 0.45) * math.sin(a))
            for i, a in enumerate(np.arange(10) * math.pi / 5 - math.pi / 2)
        ]
    elif kind == "cross":
        w = 0.33
        points = [(-w, -1), (w, -1), (w, -w), (1, -w), (1, w), (w, w), (w, 1), (-w, 1), (-w, w), (-1, w),
                  (-1, -w), (-w, -w)]
    else:
        raise ValueError(f"no polygon for {kind!r}")
    cos, sin = math.cos(angle), math.sin(angle)
    return [(cx + r * (x * cos - y * sin), cy + r * (x * sin + y * cos)) for x, y in points]


def _draw_shape(draw: ImageDraw.ImageDraw, kind: str, cx: float, cy: float, r: float, angle: float,
                fill: int | tuple[int, ...]) -> None:
    if kind == "circle":
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fill)
    else:
        draw.polygon(_polygon(kind, cx, cy, r, angle), fill=fill)


def generate_shapes(
    num_samples: int,
    image_size: int = 32,
    seed: int = 0,
    min_shapes: int = 1,
    max_shapes: int = 1,
    noise: float = 12.0,
) -> ShapesArrays:
    """Generate a deterministic split of shape images.

    Args:
        num_samples: number of images.
        image_size: side in pixels.
        seed: the same seed gives the same images.
        min_shapes, max_shapes: shapes per image (the first one is the label).
        noise: standard deviation of the Gaussian pixel noise (0-255 scale).
    """
    if image_size < 16:
        raise ValueError(f"image_size must be at least 16 pixels, got {image_size}")
    rng = np.random.default_rng(seed)
    size = image_size
    images = np.empty((num_samples, size, size, 3), dtype=np.uint8)
    masks = np.zeros((num_samples, size, size), dtype=np.uint8)
    labels = np.empty(num_samples, dtype=np.int64)
    for n in range(num_samples):
        background = rng.integers(0, 256, size=3)
        canvas = Image.new("RGB", (size, size), tuple(int(c) for c in background))
        mask = Image.new("L", (size, size), 0)
        draw, draw_mask = ImageDraw.Draw(canvas), ImageDraw.Draw(mask)
        count = int(rng.integers(min_shapes, max_shapes + 1))
        for k in range(count):
            label = int(rng.integers(len(SHAPE_NAMES)))
            # The main shape is large; extra shapes are smaller and drawn underneath later ones.
            r = rng.uniform(0.22, 0.4) * size if k == 0 else rng.uniform(0.12, 0.25) * size
            cx, cy = rng.uniform(r, size - r, size=2)
            angle = rng.uniform(0, 2 * math.pi)
            colour = rng.integers(0, 256, size=3)
            while np.abs(colour.astype(int) - background).sum() < 150:  # keep shapes visible
                colour = rng.integers(0, 256, size=3)
            _draw_shape(draw, SHAPE_NAMES[label], cx, cy, r, angle, tuple(int(c) for c in colour))
            _draw_shape(draw_mask, SHAPE_NAMES[label], cx, cy, r, angle, label + 1)
            if k == 0:
                labels[n] = label
        pixels = np.asarray(canvas, dtype=np.float32) + rng.normal(0, noise, size=(size, size, 3))
        images[n] = np.clip(pixels, 0, 255).astype(np.uint8)
        masks[n] = np.asarray(mask)
    return ShapesArrays(images=images, masks=masks, labels=labels)
