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


def write_shapes_folder(root: str | Path, per_class: Mapping[str, Mapping[str, int]] | None = None,
                        image_size: int = 32, seed: int = 0) -> Path:
    """Write the embedded shapes as a class-per-folder tree, ``root/<split>/<shape>/<i>.png``
    (what ``data=image_folder`` reads): learnable images in a user's on-disk layout.

    Args:
        root: the folder to write (``data.root``).
        per_class: ``{split: {shape name: images}}``, e.g. an imbalanced
            ``{"train": {"circle": 40, "square": 4}}`` (default: 12 train and 4 val images of
            circles and squares).
        image_size: side of the images.
        seed: seed of the shapes.

    Returns:
        ``root``.
    """
    from nnframe.core.data.synthetic.shapes import SHAPE_NAMES, generate_shapes

    root = Path(root)
    plan = per_class or {"train": {"circle": 12, "square": 12}, "val": {"circle": 4, "square": 4}}
    for split_index, (split, counts) in enumerate(plan.items()):
        for name, count in counts.items():
            label = SHAPE_NAMES.index(name)
            folder = root / split / name
            folder.mkdir(parents=True, exist_ok=True)
            written, batch = 0, 0
            while written < count:
                arrays = generate_shapes(max(64, 8 * count), image_size=image_size,
                                         seed=seed + 1000 * split_index + 10 * label + batch)
                for image, target in zip(arrays.images, arrays.labels, strict=True):
                    if int(target) == label and written < count:
                        Image.fromarray(image).save(folder / f"{name}_{written}.png")
                        written += 1
                batch += 1
    return root
