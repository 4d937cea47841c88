"""Detection networks: torchvision's detectors by name, and a small FCOS for CPUs."""

from nnframe.det.models.tiny_fcos import SmallCNNFeatures, tiny_fcos
from nnframe.det.models.torchvision_detectors import (
    DETECTORS,
    has_background_class,
    load_matching,
    read_state_dict,
    torchvision_detector,
)

__all__ = ["DETECTORS", "SmallCNNFeatures", "has_background_class", "load_matching", "read_state_dict",
           "tiny_fcos", "torchvision_detector"]
