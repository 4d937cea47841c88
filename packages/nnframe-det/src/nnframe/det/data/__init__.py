"""Detection datasets and datamodules: shapes (embedded), COCO, Pascal VOC and YOLO folders."""

from nnframe.det.data.coco_files import read_coco
from nnframe.det.data.detection_datamodule import DetectionDataModule, collate_detection
from nnframe.det.data.detection_dataset import (
    BoxAnnotation,
    DetectionDataset,
    FileDetectionDataset,
    make_target,
)
from nnframe.det.data.file_datamodules import (
    CocoDataModule,
    FileDetectionDataModule,
    VOCDataModule,
    YoloDataModule,
    YoloDetectionDataset,
)
from nnframe.det.data.shapes_boxes import ShapeBoxes, generate_shape_boxes
from nnframe.det.data.shapes_detection import ShapesDetectionDataModule, ShapesDetectionDataset
from nnframe.det.data.transforms import (
    DetectionTransform,
    detection_eval_transform,
    detection_train_transform,
)
from nnframe.det.data.voc_files import VOC_CLASSES, read_voc_split, read_voc_xml
from nnframe.det.data.yolo_files import read_yolo_labels

__all__ = [
    "VOC_CLASSES",
    "CocoDataModule",
    "FileDetectionDataModule",
    "VOCDataModule",
    "YoloDataModule",
    "YoloDetectionDataset",
    "read_coco",
    "read_voc_split",
    "read_voc_xml",
    "read_yolo_labels",
    "BoxAnnotation",
    "DetectionDataModule",
    "DetectionDataset",
    "DetectionTransform",
    "FileDetectionDataset",
    "ShapeBoxes",
    "ShapesDetectionDataModule",
    "ShapesDetectionDataset",
    "collate_detection",
    "detection_eval_transform",
    "detection_train_transform",
    "generate_shape_boxes",
    "make_target",
]
