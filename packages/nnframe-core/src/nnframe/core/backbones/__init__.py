"""Feature-extractor backbones: a small registry over timm and torchvision models.

``create_backbone(name)`` returns a module mapping images (B, C, H, W) to pooled features
(B, ``module.num_features``). Registered names come first; any other name is looked up in timm.
"""

from nnframe.core.backbones import cifar_resnet, simple_cnn  # noqa: F401  (register the built-ins)
from nnframe.core.backbones.backbone_weights import load_backbone_weights, save_backbone_weights
from nnframe.core.backbones.registry import create_backbone, is_backbone, list_backbones, register_backbone

__all__ = [
    "create_backbone",
    "is_backbone",
    "list_backbones",
    "load_backbone_weights",
    "register_backbone",
    "save_backbone_weights",
]
