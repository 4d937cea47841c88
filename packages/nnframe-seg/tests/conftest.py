"""Fixtures of the segmentation tests: small files in each dataset's own on-disk layout."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nnframe.core.cv_tools import class_palette

# A shapes config that trains in well under a minute on a busy CPU.
TINY = [
    "data.num_train=480",
    "data.num_val=96",
    "data.num_test=96",
    "data.image_size=32",
    "data.batch_size=16",
    "trainer.max_epochs=8",
    "trainer.accelerator=cpu",
    "extras.print_config=false",
]


def write_image(path: Path, size: tuple[int, int] = (24, 20), seed: int = 0) -> None:
    """A random RGB image of ``size`` (width, height)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(seed).integers(0, 256, size=(size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)


def write_mask(path: Path, values: np.ndarray, palette: bool = False) -> None:
    """A mask PNG holding ``values`` (H, W): 8-bit grey, or palette like VOC's."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.fromarray(values.astype(np.uint8))
    if palette:  # an "L" image with a palette becomes a "P" image with the same indices
        image.putpalette(class_palette(256).reshape(-1).tolist())
    image.save(path)


def block_mask(values: Sequence[int], size: tuple[int, int] = (24, 20)) -> np.ndarray:
    """Vertical stripes, one per value: (H, W)."""
    width, height = size
    mask = np.zeros((height, width), dtype=np.uint8)
    for i, value in enumerate(values):
        mask[:, i * width // len(values):(i + 1) * width // len(values)] = value
    return mask


@pytest.fixture
def pets_root(tmp_path: Path) -> Path:
    """Oxford-IIIT Pet as torchvision finds it: images/, annotations/trimaps/, {trainval,test}.txt."""
    base = tmp_path / "oxford-iiit-pet"
    lines: dict[str, list[str]] = {"trainval": [], "test": []}
    for i in range(12):
        image_id = f"{'Abyssinian' if i % 2 else 'beagle'}_{i + 1}"
        write_image(base / "images" / f"{image_id}.jpg", seed=i)
        write_mask(base / "annotations" / "trimaps" / f"{image_id}.png", block_mask([2, 3, 1]))  # bg, border, pet
        lines["trainval" if i < 10 else "test"].append(f"{image_id} {1 + i % 2} {1 + i % 2} 1")
    for split, rows in lines.items():
        (base / "annotations" / f"{split}.txt").write_text("\n".join(rows) + "\n")
    return tmp_path


@pytest.fixture
def voc_root(tmp_path: Path) -> Path:
    """Pascal VOC 2012 as torchvision finds it: VOCdevkit/VOC2012/{JPEGImages,SegmentationClass,ImageSets}."""
    base = tmp_path / "VOCdevkit" / "VOC2012"
    splits = {"train": [f"2007_{i:06d}" for i in range(6)], "val": [f"2008_{i:06d}" for i in range(3)]}
    for i, name in enumerate(splits["train"] + splits["val"]):
        write_image(base / "JPEGImages" / f"{name}.jpg", seed=i)
        write_mask(base / "SegmentationClass" / f"{name}.png", block_mask([0, 255, 15, 20]), palette=True)
    (base / "ImageSets" / "Segmentation").mkdir(parents=True)
    for split, names in splits.items():
        (base / "ImageSets" / "Segmentation" / f"{split}.txt").write_text("\n".join(names) + "\n")
    return tmp_path
