"""Dataset and datamodule bases, the embedded shapes dataset, and image-folder helpers."""

from nnframe.core.data.base.exif_orientation import exif_orientation, upright, upright_size
from nnframe.core.data.base.image_files import (
    IMAGE_EXTENSIONS,
    ImageFileDataset,
    find_image_files,
    list_image_files,
    load_image,
)
from nnframe.core.data.base.vision_datamodule import VisionDataModule
from nnframe.core.data.base.vision_dataset import FileVisionDataset, VisionDataset, WrappedDataset
from nnframe.core.data.checks.data_report import DataIssue, DataReport, SplitStats
from nnframe.core.data.checks.file_probe import FileInfo, probe_file
from nnframe.core.data.checks.file_scan import scan_files
from nnframe.core.data.checks.image_modes import convert_image
from nnframe.core.data.labelled.csv_datamodule import CsvDataModule
from nnframe.core.data.labelled.image_folder_datamodule import ImageFolderDataModule
from nnframe.core.data.labelled.image_folder_dataset import ImageFolderDataset
from nnframe.core.data.labelled.labelled_image_dataset import LabelledImageDataset
from nnframe.core.data.labelled.torchvision_datamodule import TorchvisionDataModule
from nnframe.core.data.labelled.torchvision_datasets import TORCHVISION_DATASETS, load_torchvision_dataset
from nnframe.core.data.loading.resumable_data_loader import ResumableDataLoader, TimedResumableDataLoader
from nnframe.core.data.on_device.device_augment import BatchAugmentation, plan_from_transform
from nnframe.core.data.on_device.device_batch_loader import DeviceBatchLoader, dataset_tensors
from nnframe.core.data.synthetic.shapes import (
    SHAPE_NAMES,
    ShapeInstances,
    ShapesArrays,
    generate_shape_instances,
    generate_shapes,
    shapes_split_seed,
)
from nnframe.core.data.synthetic.shapes_datamodule import ShapesDataModule
from nnframe.core.data.synthetic.shapes_dataset import ShapesDataset

__all__ = [
    "BatchAugmentation",
    "CsvDataModule",
    "DataIssue",
    "DataReport",
    "FileInfo",
    "FileVisionDataset",
    "LabelledImageDataset",
    "SplitStats",
    "convert_image",
    "exif_orientation",
    "upright",
    "upright_size",
    "list_image_files",
    "probe_file",
    "scan_files",
    "DeviceBatchLoader",
    "ResumableDataLoader",
    "TimedResumableDataLoader",
    "dataset_tensors",
    "plan_from_transform",
    "TORCHVISION_DATASETS",
    "ImageFolderDataModule",
    "ImageFolderDataset",
    "TorchvisionDataModule",
    "load_torchvision_dataset",
    "IMAGE_EXTENSIONS",
    "SHAPE_NAMES",
    "ImageFileDataset",
    "ShapeInstances",
    "ShapesArrays",
    "ShapesDataModule",
    "ShapesDataset",
    "VisionDataModule",
    "VisionDataset",
    "WrappedDataset",
    "find_image_files",
    "generate_shape_instances",
    "generate_shapes",
    "load_image",
    "shapes_split_seed",
]
