"""Pascal VOC 2012 semantic segmentation through torchvision."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from torchvision.datasets import VOCSegmentation
from torchvision.datasets.voc import DATASET_YEAR_DICT

from nnframe.core.data.base.dataset_download import dataset_download
from nnframe.seg.data.segmentation_datamodule import SegmentationDataModule
from nnframe.seg.data.segmentation_dataset import SegmentationDataset
from nnframe.seg.data.torchvision_source import open_torchvision_dataset

VOC_CLASS_NAMES: tuple[str, ...] = (
    "background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
    "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor",
)


class VOCSegmentationDataModule(SegmentationDataModule):
    """Pascal VOC 2012 (21 classes with background; object borders are 255 = ignored).

    Files (what ``data.download=true`` fetches, ~2 GB): ``<root>/VOCdevkit/VOC2012/JPEGImages``,
    ``SegmentationClass`` (palette PNGs) and ``ImageSets/Segmentation/{train,val}.txt``. Test is
    the val split (the official test labels are not public).

    Args:
        year: the VOC release (``2012``; torchvision also knows 2007-2011).
        **kwargs: :class:`SegmentationDataModule` arguments.
    """

    available_splits = ("train", "val")

    def __init__(self, year: str = "2012", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.year = str(year)

    @property
    def voc_root(self) -> Path:
        return Path(self.root) / "VOCdevkit" / f"VOC{self.year}"

    def manual_download_hint(self) -> str:
        """Where to put the files by hand: the archive torchvision downloads, and what it holds."""
        archive = DATASET_YEAR_DICT[self.year]["url"] if self.year in DATASET_YEAR_DICT else f"VOC{self.year}'s archive"
        return (f"download {archive} and extract it under {self.root}, which gives {self.voc_root} with "
                "JPEGImages/, SegmentationClass/ and ImageSets/Segmentation/{train,val}.txt")

    def prepare_data(self) -> None:
        # Files already there are kept: torchvision would download the 2 GB archive again when it
        # is not beside them (it checks the archive, not the extracted folder). One archive holds
        # every image set.
        if self.download and not self.voc_root.is_dir():
            with dataset_download(f"Pascal VOC {self.year}", self.manual_download_hint()):
                VOCSegmentation(str(self.root), year=self.year, image_set="train", download=True)

    def load_split(self, split: str) -> SegmentationDataset:
        expected = self.voc_root
        raw = open_torchvision_dataset(
            VOCSegmentation, f"Pascal VOC {self.year}", expected,
            f"Add data.download=true, or {self.manual_download_hint()}",
            root=str(self.root), year=self.year, image_set=split,
        )
        return SegmentationDataset(list(zip(raw.images, raw.masks, strict=True)), VOC_CLASS_NAMES,
                                   ignore_index=self.ignore_index, image_mode=self.image_mode)
