"""Tiny copies of real datasets in their on-disk layouts, for loader tests without downloads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from PIL import Image

#: Two of Imagenette's WordNet ids (torchvision maps each to its class names): tench, springer.
IMAGENETTE_WNIDS = ("n01440764", "n02102040")


def write_imagenette(root: str | Path, folder: str = "imagenette2-160", wnids: Sequence[str] = IMAGENETTE_WNIDS,
                     per_class: Mapping[str, int] | None = None, size: tuple[int, int] = (40, 30)) -> Path:
    """Write ``root/<folder>/{train,val}/<wnid>/<i>.JPEG``, the layout of the extracted archive
    that ``torchvision.datasets.Imagenette`` reads, with random JPEG images.

    Args:
        root: the data root (``data.root``).
        folder: ``imagenette2-160``, ``imagenette2-320`` or ``imagenette2`` (full size).
        wnids: class folders; torchvision accepts a subset of the 10 real ones.
        per_class: images per class and split (default: 3 train, 2 val).
        size: (width, height) of the images.

    Returns:
        ``root/<folder>``.
    """
    base = Path(root) / folder
    rng = np.random.default_rng(0)
    for split, count in (per_class or {"train": 3, "val": 2}).items():
        for wnid in wnids:
            (base / split / wnid).mkdir(parents=True, exist_ok=True)
            for i in range(count):
                pixels = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
                Image.fromarray(pixels).save(base / split / wnid / f"{wnid}_{i}.JPEG")
    return base
