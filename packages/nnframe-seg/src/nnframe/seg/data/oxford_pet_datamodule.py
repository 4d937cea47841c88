"""Oxford-IIIT Pet trimaps (pet / background / border) through torchvision."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from torchvision.datasets import OxfordIIITPet

from nnframe.core.compat.torchvision import oxford_pet_segmentation_samples
from nnframe.core.data.base.dataset_download import dataset_download
from nnframe.seg.data.segmentation_datamodule import SegmentationDataModule
from nnframe.seg.data.segmentation_dataset import SegmentationDataset
from nnframe.seg.data.torchvision_source import open_torchvision_dataset

# Trimap values: 1 pet, 2 background, 3 border (unclassified).
_TRIMAP_PET, _TRIMAP_BACKGROUND, _TRIMAP_BORDER = 1, 2, 3


class OxfordPetDataModule(SegmentationDataModule):
    """Oxford-IIIT Pet (Parkhi et al., 2012) as pet-vs-background segmentation.

    Files (what ``data.download=true`` fetches): ``<root>/oxford-iiit-pet/images/*.jpg``,
    ``annotations/trimaps/*.png`` and ``annotations/{trainval,test}.txt``. Train and val come from
    ``trainval`` (a seeded ``val_fraction`` held out), test is ``test``.

    Args:
        border: ``ignore`` (the trimap's uncertain border pixels are left out of loss and
            metrics; 2 classes) or ``class`` (a third class ``border``).
        **kwargs: :class:`SegmentationDataModule` arguments (root, download, val_fraction, ...).
    """

    available_splits = ("train", "test")

    def __init__(self, border: str = "ignore", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if border not in ("ignore", "class"):
            raise ValueError(f"unknown border {border!r}; choose ignore or class")
        self.border = border

    @property
    def pet_class_names(self) -> list[str]:
        return ["background", "pet"] + (["border"] if self.border == "class" else [])

    def _lookup(self) -> np.ndarray:
        lookup = np.full(256, -1, dtype=np.int64)
        lookup[_TRIMAP_BACKGROUND], lookup[_TRIMAP_PET] = 0, 1
        lookup[_TRIMAP_BORDER] = 2 if self.border == "class" else (self.ignore_index if self.ignore_index is not None else 0)
        return lookup

    def manual_download_hint(self) -> str:
        """Where to put the files by hand: the two archives and the folder they go in."""
        folder = Path(self.root) / "oxford-iiit-pet"
        return (f"extract images.tar.gz and annotations.tar.gz from https://www.robots.ox.ac.uk/~vgg/data/pets/ "
                f"into {folder}, which gives {folder / 'images'} and {folder / 'annotations'}")

    def prepare_data(self) -> None:
        if self.download:
            with dataset_download("Oxford-IIIT Pet", self.manual_download_hint()):
                for split in ("trainval", "test"):
                    OxfordIIITPet(str(self.root), split=split, target_types="segmentation", download=True)

    def load_split(self, split: str) -> SegmentationDataset:
        raw = open_torchvision_dataset(
            OxfordIIITPet, "Oxford-IIIT Pet", Path(self.root) / "oxford-iiit-pet",
            f"Add data.download=true, or {self.manual_download_hint()}",
            root=str(self.root), split="trainval" if split == "train" else "test", target_types="segmentation",
        )
        samples = oxford_pet_segmentation_samples(raw)
        return SegmentationDataset(samples, self.pet_class_names, ignore_index=self.ignore_index, lookup=self._lookup(),
                                   image_mode=self.image_mode)
