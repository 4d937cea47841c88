"""Procedurally generated images of geometric shapes: the embedded default dataset.

Every image has one main shape (its class label) on a noisy background; with
``max_shapes > 1`` more shapes are added (for segmentation). The per-pixel mask holds
``class index + 1`` (0 is background). The same seed always gives the same images.

Generation is vectorised over the whole split (NumPy): the random draws for all images at
once, then every shape rasterised by testing pixel centres against its outline, so the
6,000 images of a default run take a fraction of a second instead of a PIL drawing per image.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

SHAPE_NAMES: tuple[str, ...] = ("circle", "square", "triangle", "star", "cross")

#: Colour distance (sum over RGB of absolute differences) a shape keeps from its background.
MIN_COLOUR_DISTANCE = 150
#: Pixels added to every radius: a filled outline, as PIL's polygon and ellipse fills draw it
#: (without it small stars lose their points).
OUTLINE = 0.5
_CHUNK = 4096  # shapes rasterised together: bounds the (shapes, H, W) temporaries to a few MB
# Images given their noise together, in one reused float32 buffer: the whole split's float
# temporaries (five of ~90 MB for 7000 32 x 32 images) took 2 s of fresh-page faults on a VM.
_NOISE_CHUNK = 512


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


def unit_polygon(kind: str) -> np.ndarray:
    """Vertices of a polygonal shape of radius 1 centred at the origin, unrotated.

    Shape: (V, 2) ``(x, y)``, image axes (y down).
    """
    if kind == "square":
        angles = np.arange(4) * math.pi / 2 + math.pi / 4
        radii = np.ones(4)
    elif kind == "triangle":
        angles = np.arange(3) * 2 * math.pi / 3 - math.pi / 2
        radii = np.ones(3)
    elif kind == "star":
        angles = np.arange(10) * math.pi / 5 - math.pi / 2
        radii = np.where(np.arange(10) % 2 == 0, 1.0, 0.45)
    elif kind == "cross":
        w = 0.33
        return np.array([(-w, -1), (w, -1), (w, -w), (1, -w), (1, w), (w, w), (w, 1), (-w, 1), (-w, w), (-1, w),
                         (-1, -w), (-w, -w)], dtype=np.float64)
    else:
        raise ValueError(f"no polygon for {kind!r}")
    return np.stack([radii * np.cos(angles), radii * np.sin(angles)], axis=1)


def rasterize_shapes(kind: str, cx: np.ndarray, cy: np.ndarray, r: np.ndarray, angle: np.ndarray,
                     size: int) -> np.ndarray:
    """Which pixels of a ``size`` x ``size`` image each shape covers (pixel centres inside).

    Polygons use the even-odd crossing test against every edge, which also holds for the
    non-convex star and cross.

    Args:
        kind: one of :data:`SHAPE_NAMES`.
        cx, cy, r, angle: (M,) centre, radius (pixels) and rotation (radians) of M shapes.
        size: image side.

    Shape: (M, size, size) bool.
    """
    centres = np.arange(size, dtype=np.float32) + 0.5
    out = np.empty((len(cx), size, size), dtype=bool)
    for start in range(0, len(cx), _CHUNK):
        part = slice(start, start + _CHUNK)
        px = centres[None, None, :] - cx[part, None, None].astype(np.float32)  # (M, 1, W)
        py = centres[None, :, None] - cy[part, None, None].astype(np.float32)  # (M, H, 1)
        if kind == "circle":
            radius = r[part, None, None].astype(np.float32)
            out[part] = px * px + py * py <= radius * radius
            continue
        unit = unit_polygon(kind)
        cos, sin = np.cos(angle[part])[:, None], np.sin(angle[part])[:, None]
        rr = r[part, None]
        # Vertices relative to the centre: rotate the unit outline, then scale it.
        vx = (rr * (unit[None, :, 0] * cos - unit[None, :, 1] * sin)).astype(np.float32)  # (M, V)
        vy = (rr * (unit[None, :, 0] * sin + unit[None, :, 1] * cos)).astype(np.float32)
        inside = np.zeros(np.broadcast_shapes(px.shape, py.shape), dtype=bool)
        for a in range(unit.shape[0]):
            b = (a + 1) % unit.shape[0]
            x1, y1 = vx[:, a, None, None], vy[:, a, None, None]
            x2, y2 = vx[:, b, None, None], vy[:, b, None, None]
            spans = (y1 > py) != (y2 > py)  # (M, H, 1): the edge crosses this row
            dy = np.where(y2 == y1, np.float32(1), y2 - y1)
            x_cross = x1 + (py - y1) * (x2 - x1) / dy  # (M, H, 1)
            inside ^= spans & (px < x_cross)
        out[part] = inside
    return out


def _colours_apart(rng: np.random.Generator, background: np.ndarray) -> np.ndarray:
    """One random colour per row of ``background`` (N, 3), redrawn until it differs enough."""
    colour = rng.integers(0, 256, size=background.shape)
    while True:
        close = np.abs(colour - background).sum(axis=1) < MIN_COLOUR_DISTANCE
        if not close.any():
            return colour
        colour[close] = rng.integers(0, 256, size=(int(close.sum()), 3))


def generate_shapes(
    num_samples: int,
    image_size: int = 32,
    seed: int = 0,
    min_shapes: int = 1,
    max_shapes: int = 1,
    noise: float = 12.0,
) -> ShapesArrays:
    """Generate a deterministic split of shape images.

    Shape ``k`` of an image is drawn over shapes ``0..k-1``; the first is large (radius 22-40%
    of the side) and gives the label, later ones are smaller (12-25%). Every shape keeps a colour
    distance of at least :data:`MIN_COLOUR_DISTANCE` from the background.

    Args:
        num_samples: number of images.
        image_size: side in pixels.
        seed: the same seed gives the same images.
        min_shapes, max_shapes: shapes per image (the first one is the label).
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
    canvas = np.empty((n, size, size, 3), dtype=np.uint8)
    canvas[:] = background[:, None, None, :]
    masks = np.zeros((n, size, size), dtype=np.uint8)
    labels = np.zeros(n, dtype=np.int64)
    for k in range(max_shapes):
        drawn = np.flatnonzero(counts > k)
        m = len(drawn)
        kind = rng.integers(len(SHAPE_NAMES), size=m)
        low, high = (0.22, 0.4) if k == 0 else (0.12, 0.25)
        r = rng.uniform(low, high, size=m) * size
        cx, cy = rng.uniform(r, size - r), rng.uniform(r, size - r)
        angle = rng.uniform(0, 2 * math.pi, size=m)
        colour = _colours_apart(rng, background[drawn])
        if k == 0:
            labels[drawn] = kind
        for index, name in enumerate(SHAPE_NAMES):
            of_kind = np.flatnonzero(kind == index)
            if len(of_kind) == 0:
                continue
            inside = rasterize_shapes(name, cx[of_kind], cy[of_kind], r[of_kind] + OUTLINE, angle[of_kind], size)
            images_of_kind = drawn[of_kind]
            canvas[images_of_kind] = np.where(inside[..., None], colour[of_kind, None, None, :].astype(np.uint8),
                                              canvas[images_of_kind])
            masks[images_of_kind] = np.where(inside, np.uint8(index + 1), masks[images_of_kind])
    _add_noise(canvas, rng, noise)
    return ShapesArrays(images=canvas, masks=masks, labels=labels)


def _add_noise(images: np.ndarray, rng: np.random.Generator, noise: float) -> None:
    """Add Gaussian noise of standard deviation ``noise`` to uint8 ``images`` in place, clipped to
    0-255 and truncated: the draws of one ``standard_normal`` over the whole array, block by block."""
    buffer = np.empty((min(len(images), _NOISE_CHUNK), *images.shape[1:]), dtype=np.float32)
    for start in range(0, len(images), _NOISE_CHUNK):
        block = buffer[: min(_NOISE_CHUNK, len(images) - start)]
        rng.standard_normal(out=block, dtype=np.float32)
        block *= np.float32(noise)
        block += images[start:start + len(block)]
        np.clip(block, 0, 255, out=block)
        np.copyto(images[start:start + len(block)], block, casting="unsafe")
