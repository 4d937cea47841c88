"""Procedurally generated images of geometric shapes: the embedded default dataset.

Every image has one main shape (its class label) on a noisy background; with
``max_shapes > 1`` more shapes are added (for segmentation, detection). The per-pixel mask holds
``class index + 1`` (0 is background); :func:`generate_shape_instances` keeps which shape each
pixel shows, for the tasks that need every shape apart. The same seed always gives the same images.

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
#: Seed offset of each split: split ``s`` of base seed ``b`` is generated from ``b * 10 + offset``.
SPLIT_OFFSETS = {"train": 0, "val": 1, "test": 2}
_CHUNK = 4096  # shapes rasterised together: bounds the (shapes, H, W) temporaries to a few MB
_DRAW_CHUNK = 512  # shapes drawn together by the generator: small enough to stay in the CPU's cache
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


@dataclass(frozen=True)
class ShapeInstances:
    """Arrays of a generated shapes split, with the pixels of every shape.

    Attributes:
        images: (N, H, W, 3) uint8.
        instances: (N, H, W) signed int; the drawing order ``k`` of the shape a pixel shows, -1 for
            background. ``instances == k`` is shape ``k``'s visible part (it may be empty when
            later shapes cover it all).
        kinds: (N, max_shapes) int64; the class of shape ``k`` (index into :data:`SHAPE_NAMES`),
            -1 where the image has fewer shapes.
    """

    images: np.ndarray
    instances: np.ndarray
    kinds: np.ndarray

    def class_mask(self) -> np.ndarray:
        """Per pixel, the class of the shape it shows plus one, 0 for background.

        Shape: (N, H, W) uint8.
        """
        # A column of 0 after the classes + 1: instance -1 (background) picks it.
        lookup = np.concatenate([self.kinds + 1, np.zeros((len(self.kinds), 1), np.int64)], axis=1)
        return lookup[np.arange(len(self.kinds))[:, None, None], self.instances].astype(np.uint8)


def shapes_split_seed(seed: int, split: str) -> int:
    """The generator seed of one split of the embedded shapes: each split has its own images.

    Args:
        seed: the base seed (``data.seed``).
        split: ``train``, ``val`` or ``test``.

    Raises:
        ValueError: an unknown split.
    """
    if split not in SPLIT_OFFSETS:
        raise ValueError(f"unknown split {split!r}; choose one of {list(SPLIT_OFFSETS)}")
    return seed * 10 + SPLIT_OFFSETS[split]


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


def generate_shape_instances(
    num_samples: int,
    image_size: int = 32,
    seed: int = 0,
    min_shapes: int = 1,
    max_shapes: int = 1,
    noise: float = 12.0,
    first_radius: tuple[float, float] = (0.22, 0.4),
    radius: tuple[float, float] = (0.12, 0.25),
) -> ShapeInstances:
    """Generate a deterministic split of shape images with the pixels of every shape.

    Shape ``k`` of an image is drawn over shapes ``0..k-1``. Every shape keeps a colour distance
    of at least :data:`MIN_COLOUR_DISTANCE` from the background. The instance map keeps which
    shape each pixel shows, so a task can take a class mask (:func:`generate_shapes`), a box per
    visible shape (detection) or an instance mask from one generator: the same seed and
    arguments give the same images whatever is taken from them.

    Args:
        num_samples: number of images.
        image_size: side in pixels.
        seed: the same seed gives the same images.
        min_shapes, max_shapes: shapes per image.
        noise: standard deviation of the Gaussian pixel noise (0-255 scale).
        first_radius: ``(low, high)`` radius of the first shape, as a fraction of the side.
        radius: ``(low, high)`` radius of the later shapes, as a fraction of the side.

    Raises:
        ValueError: ``image_size`` under 16 pixels, or ``min_shapes``/``max_shapes`` out of order.
    """
    if image_size < 16:
        raise ValueError(f"image_size must be at least 16 pixels, got {image_size}")
    if not 1 <= min_shapes <= max_shapes:
        raise ValueError(f"need 1 <= min_shapes <= max_shapes, got {min_shapes} and {max_shapes}")
    rng = np.random.default_rng(seed)
    n, size = num_samples, image_size
    background = rng.integers(0, 256, size=(n, 3))
    counts = rng.integers(min_shapes, max_shapes + 1, size=n)
    # Which shape owns each pixel: -1 background; a later shape overwrites the earlier ones.
    instances = np.full((n, size, size), -1, dtype=np.min_scalar_type(-max_shapes))
    kinds = np.full((n, max_shapes), -1, dtype=np.int64)
    images = np.empty((n, size, size, 3), dtype=np.uint8)
    images[:] = background[:, None, None, :]
    for k in range(max_shapes):
        drawn = np.flatnonzero(counts > k)
        m = len(drawn)
        kind = rng.integers(len(SHAPE_NAMES), size=m)
        low, high = first_radius if k == 0 else radius
        r = rng.uniform(low, high, size=m) * size
        cx, cy = rng.uniform(r, size - r), rng.uniform(r, size - r)
        angle = rng.uniform(0, 2 * math.pi, size=m)
        colour = _colours_apart(rng, background[drawn]).astype(np.uint8)
        kinds[drawn, k] = kind
        for index, name in enumerate(SHAPE_NAMES):
            of_kind = np.flatnonzero(kind == index)
            for start in range(0, len(of_kind), _DRAW_CHUNK):
                part = of_kind[start:start + _DRAW_CHUNK]
                inside = rasterize_shapes(name, cx[part], cy[part], r[part] + OUTLINE, angle[part], size)
                shape, rows, cols = np.nonzero(inside)  # only the covered pixels: no full-image copies
                image = drawn[part][shape]
                instances[image, rows, cols] = k
                images[image, rows, cols] = colour[part][shape]
    _add_noise(images, rng, noise)
    return ShapeInstances(images=images, instances=instances, kinds=kinds)


def generate_shapes(
    num_samples: int,
    image_size: int = 32,
    seed: int = 0,
    min_shapes: int = 1,
    max_shapes: int = 1,
    noise: float = 12.0,
) -> ShapesArrays:
    """Generate a deterministic split of shape images with their class masks and labels.

    The images of :func:`generate_shape_instances` with its default radii: the first shape is
    large (radius 22-40% of the side) and gives the label, later ones are smaller (12-25%).

    Args:
        num_samples: number of images.
        image_size: side in pixels.
        seed: the same seed gives the same images.
        min_shapes, max_shapes: shapes per image (the first one is the label).
        noise: standard deviation of the Gaussian pixel noise (0-255 scale).
    """
    shapes = generate_shape_instances(num_samples, image_size, seed, min_shapes, max_shapes, noise)
    return ShapesArrays(images=shapes.images, masks=shapes.class_mask(), labels=shapes.kinds[:, 0].copy())


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
