"""Segmentation datasets and datamodules: shapes, Oxford-IIIT Pet, Pascal VOC, Cityscapes, mask folders."""

from nnframe.seg.data.cityscapes_datamodule import CITYSCAPES_CLASS_NAMES, CityscapesDataModule
from nnframe.seg.data.mask_files import load_mask
from nnframe.seg.data.mask_folder_datamodule import MaskFolderDataModule
from nnframe.seg.data.oxford_pet_datamodule import OxfordPetDataModule
from nnframe.seg.data.pixel_histogram import PixelHistogramSummary, pixel_histogram
from nnframe.seg.data.segmentation_datamodule import SegmentationDataModule
from nnframe.seg.data.segmentation_dataset import SegmentationDataset
from nnframe.seg.data.shapes_segmentation_datamodule import ShapesSegmentationDataModule
from nnframe.seg.data.voc_datamodule import VOC_CLASS_NAMES, VOCSegmentationDataModule

__all__ = [
    "CITYSCAPES_CLASS_NAMES",
    "VOC_CLASS_NAMES",
    "CityscapesDataModule",
    "MaskFolderDataModule",
    "OxfordPetDataModule",
    "PixelHistogramSummary",
    "SegmentationDataModule",
    "SegmentationDataset",
    "ShapesSegmentationDataModule",
    "VOCSegmentationDataModule",
    "load_mask",
    "pixel_histogram",
]
