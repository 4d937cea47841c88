"""nnframe object detection: torchvision's detectors trained with Lightning + Hydra.

Public names are imported lazily so that ``nnframe --help`` does not import torch.
"""

from __future__ import annotations

from nnframe.core.lazy_exports import lazy_exports

_EXPORTS = {
    "DetectionMAP": "nnframe.det.metrics",
    "DetectionModule": "nnframe.det.detection_module",
    "ExportedDetector": "nnframe.det.detection_module",
    "DetectionPredictionWriter": "nnframe.det.prediction_writer",
    "detection_figure": "nnframe.det.figures",
    "draw_boxes": "nnframe.det.figures",
    "tiny_fcos": "nnframe.det.models.tiny_fcos",
    "torchvision_detector": "nnframe.det.models.torchvision_detectors",
}

__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
