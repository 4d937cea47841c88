"""Base datamodule of file-based segmentation datasets."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from nnframe.core.contracts import check_members
from nnframe.core.data import VisionDataModule
from nnframe.seg.data.pixel_histogram import PixelHistogramSummary
from nnframe.seg.data.segmentation_dataset import SegmentationDataset

SEGMENTATION_DATAMODULE_MEMBERS = {
    "load_split": 'def load_split(self, split): return SegmentationDataset(pairs, class_names=["background", "road"])'
                  "   # pairs: (image path, mask path) of the split",
}


class SegmentationDataModule(PixelHistogramSummary, VisionDataModule):
    """Image + mask pairs; a subclass gives ``load_split(split) -> SegmentationDataset`` for its
    own splits (``train``, and any of ``val``/``test`` it has) via ``available_splits``.

    Missing splits are derived: val is a seeded ``val_fraction`` of train when the dataset has
    no val split; test is the val data when it has no (labelled) test split.

    Args:
        root: data root (each dataset's own folder lies below it).
        download: download with torchvision's code when missing (needs a network).
        val_fraction: share of train held out as val when there is no val split.
        ignore_index: value of unlabelled pixels in the masks.
        summary_max_masks: masks per split read at setup to check labels and count pixels
            (None: all).
        **kwargs: :class:`~nnframe.core.data.VisionDataModule` arguments.
    """

    available_splits: tuple[str, ...] = ("train", "val", "test")

    def __new__(cls, *args: Any, **kwargs: Any) -> SegmentationDataModule:
        check_members(cls, "nnframe.seg.data.SegmentationDataModule", SEGMENTATION_DATAMODULE_MEMBERS)
        return super().__new__(cls)

    def __init__(self, root: str | Path = "data", download: bool = False, val_fraction: float = 0.1,
                 ignore_index: int | None = 255, summary_max_masks: int | None = 200, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.root = Path(root)
        self.download = download
        self.val_fraction = val_fraction
        self.ignore_index = ignore_index
        self.summary_max_masks = summary_max_masks

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
            return full.subset(order[:n_val] if split == "val" else order[n_val:], transform)
        dataset = self.load_split(split)
        dataset.transform = transform
        return dataset
