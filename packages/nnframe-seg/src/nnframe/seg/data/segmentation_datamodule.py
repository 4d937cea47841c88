"""Base datamodule of file-based segmentation datasets."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch

from nnframe.core.contracts import check_members
from nnframe.core.data import VisionDataModule
from nnframe.seg.data.mask_checks import MaskChecks
from nnframe.seg.data.mask_palettes import resolve_palette
from nnframe.seg.data.segmentation_dataset import SegmentationDataset

SEGMENTATION_DATAMODULE_MEMBERS = {
    "load_split": 'def load_split(self, split): return SegmentationDataset(pairs, class_names=["background", "road"])'
                  "   # pairs: (image path, mask path) of the split",
}


class SegmentationDataModule(MaskChecks, VisionDataModule):
    """Image + mask pairs; a subclass gives ``load_split(split) -> SegmentationDataset`` for its
    own splits (``train``, and any of ``val``/``test`` it has) via ``available_splits``.

    Missing splits are derived: val is a seeded ``val_fraction`` of train when the dataset has
    no val split; test is the val data when it has no (labelled) test split. Every mask is
    checked before the first step (:class:`~nnframe.seg.data.mask_checks.MaskChecks`).

    Args:
        root: data root (each dataset's own folder lies below it).
        download: download with torchvision's code when missing (needs a network).
        val_fraction: share of train held out as val when there is no val split.
        ignore_index: value of unlabelled pixels in the masks.
        binary_255: 255 in a mask means class 1 (None: only for two classes, in masks of only 0
            and 255).
        palette: colour-coded masks: a named palette (``voc``, ``camvid``) or ``[[r,g,b], ...]``
            (index = class); see :func:`~nnframe.seg.data.mask_palettes.resolve_palette`.
        **kwargs: :class:`~nnframe.core.data.VisionDataModule` arguments.
    """

    available_splits: tuple[str, ...] = ("train", "val", "test")

    def __new__(cls, *args: Any, **kwargs: Any) -> SegmentationDataModule:
        check_members(cls, "nnframe.seg.data.SegmentationDataModule", SEGMENTATION_DATAMODULE_MEMBERS)
        return super().__new__(cls)

    def __init__(self, root: str | Path = "data", download: bool = False, val_fraction: float = 0.1,
                 ignore_index: int | None = 255, binary_255: bool | None = None,
                 palette: str | Sequence[Sequence[int]] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.root = Path(root)
        self.download = download
        self.val_fraction = val_fraction
        self.ignore_index = ignore_index
        self.binary_255 = binary_255
        self.palette = resolve_palette(palette)

    @property
    def image_mode(self) -> str:
        return "L" if self.in_channels == 1 else "RGB"

    @abstractmethod
    def load_split(self, split: str) -> SegmentationDataset:
        """The dataset's own ``split`` (one of ``available_splits``), without transform."""

    def build_dataset(self, split: str, transform: Callable[..., Any] | None) -> SegmentationDataset:
        if split == "test" and "test" not in self.available_splits:
            split = "val"
        if split in ("train", "val") and "val" not in self.available_splits:
            full = self.load_split("train")
            order = torch.randperm(len(full), generator=torch.Generator().manual_seed(self.seed)).tolist()
            n_val = max(1, round(self.val_fraction * len(full)))
            subset = full.subset(sorted(order[:n_val] if split == "val" else order[n_val:]), transform)
            if split == "val":
                subset.ignored_files = []  # counted once, with train
            return subset
        dataset = self.load_split(split)
        dataset.transform = transform
        return dataset
