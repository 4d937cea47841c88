"""Feature-extractor backbones: a small registry over timm and torchvision models.

``create_backbone(name)`` returns a module mapping images (B, C, H, W) to pooled features
(B, ``module.num_features``). Registered names come first; any other name is looked up in timm.
"""

from nnframe.core.backbones import cifar_resnet, simple_cnn  # noqa: F401  (register the built-ins)
from nnframe.core.backbones.backbone_weights import load_backbone_weights, save_backbone_weights
from nnframe.core.backbones.input_size import InputSize, backbone_input_size, backbone_size_kwargs
from nnframe.core.backbones.preprocessing import Preprocessing, backbone_preprocessing, timm_preprocessing
from nnframe.core.backbones.pretrained_weights import (
    WeightsReport,
    load_state_dict_reporting,
    load_weights_file,
    read_nnframe_backbone_file,
)
from nnframe.core.backbones.registry import (
    WEIGHTS_REPORT_ATTR,
    create_backbone,
    is_backbone,
    list_backbones,
    register_backbone,
)

__all__ = [
    "WEIGHTS_REPORT_ATTR",
    "InputSize",
    "Preprocessing",
    "WeightsReport",
    "backbone_input_size",
    "backbone_preprocessing",
    "backbone_size_kwargs",
    "create_backbone",
    "is_backbone",
    "list_backbones",
    "load_backbone_weights",
    "load_state_dict_reporting",
    "load_weights_file",
    "read_nnframe_backbone_file",
    "register_backbone",
    "save_backbone_weights",
    "timm_preprocessing",
]
