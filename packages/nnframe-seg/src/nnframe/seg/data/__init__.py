"""Segmentation datasets and datamodules: shapes, Oxford-IIIT Pet, Pascal VOC, Cityscapes, mask folders."""

from nnframe.seg.data.cityscapes_datamodule import CITYSCAPES_CLASS_NAMES, CityscapesDataModule
from nnframe.seg.data.mask_checks import MaskChecks
from nnframe.seg.data.mask_decoding import MaskDecoding
from nnframe.seg.data.mask_files import load_mask
from nnframe.seg.data.mask_folder_datamodule import MaskFolderDataModule
from nnframe.seg.data.mask_palettes import NAMED_PALETTES, MaskPalette, resolve_palette, voc_colormap
from nnframe.seg.data.oxford_pet_datamodule import OxfordPetDataModule
from nnframe.seg.data.segmentation_datamodule import SegmentationDataModule
from nnframe.seg.data.segmentation_dataset import SegmentationDataset
from nnframe.seg.data.shapes_segmentation_datamodule import ShapesSegmentationDataModule
from nnframe.seg.data.voc_datamodule import VOC_CLASS_NAMES, VOCSegmentationDataModule

__all__ = [
    "CITYSCAPES_CLASS_NAMES",
    "VOC_CLASS_NAMES",
    "CityscapesDataModule",
    "NAMED_PALETTES",
    "MaskChecks",
    "MaskDecoding",
    "MaskFolderDataModule",
    "MaskPalette",
    "OxfordPetDataModule",
    "SegmentationDataModule",
    "SegmentationDataset",
    "ShapesSegmentationDataModule",
    "VOCSegmentationDataModule",
    "load_mask",
    "resolve_palette",
    "voc_colormap",
]
