"""Cityscapes (fine annotations, 19 train classes) through torchvision."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from torchvision.datasets import Cityscapes

from nnframe.core.errors import DatasetError
from nnframe.seg.data.segmentation_datamodule import SegmentationDataModule
from nnframe.seg.data.segmentation_dataset import SegmentationDataset
from nnframe.seg.data.torchvision_source import open_torchvision_dataset

CITYSCAPES_CLASS_NAMES: tuple[str, ...] = tuple(
    c.name for c in sorted((c for c in Cityscapes.classes if 0 <= c.train_id < 255), key=lambda c: c.train_id)
)


class CityscapesDataModule(SegmentationDataModule):
    """Cityscapes semantic segmentation: label ids mapped to the 19 train ids, the rest ignored.

    Cityscapes needs a login, so it is never downloaded: put ``leftImg8bit_trainvaltest.zip`` and
    ``gtFine_trainvaltest.zip`` from https://www.cityscapes-dataset.com in ``<root>/cityscapes``
    (torchvision extracts them), or their extracted ``leftImg8bit/`` and ``gtFine/`` folders. Test is
    the val split (the test labels are not public).

    Args:
        **kwargs: :class:`SegmentationDataModule` arguments; ``root`` is the folder holding
            ``cityscapes/``.
    """

    available_splits = ("train", "val")

    def _lookup(self) -> np.ndarray:
        lookup = np.full(256, -1, dtype=np.int64)
        ignore = self.ignore_index if self.ignore_index is not None else 0
        for cls in Cityscapes.classes:
            if cls.id >= 0:
                lookup[cls.id] = cls.train_id if 0 <= cls.train_id < 255 else ignore
        return lookup

    def prepare_data(self) -> None:
        if self.download:
            raise DatasetError(
                "Cityscapes cannot be downloaded automatically (it needs a login): set data.download=false and put "
                f"leftImg8bit_trainvaltest.zip and gtFine_trainvaltest.zip from https://www.cityscapes-dataset.com "
                f"in {Path(self.root) / 'cityscapes'}"
            )

    def load_split(self, split: str) -> SegmentationDataset:
        folder = Path(self.root) / "cityscapes"
        raw = open_torchvision_dataset(
            Cityscapes, "Cityscapes", folder,
            f"Download leftImg8bit_trainvaltest.zip and gtFine_trainvaltest.zip (login needed) from "
            f"https://www.cityscapes-dataset.com into {folder}",
            root=str(folder), split=split, mode="fine", target_type="semantic",
        )
        # torchvision lists cities in directory order: sort for the same order on every machine.
        samples = sorted((image, targets[0]) for image, targets in zip(raw.images, raw.targets, strict=True))
        return SegmentationDataset(samples, CITYSCAPES_CLASS_NAMES, ignore_index=self.ignore_index,
                                   lookup=self._lookup(), image_mode=self.image_mode)
