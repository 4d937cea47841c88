"""ResNets for 32x32 inputs (CIFAR style): 3x3 stem with stride 1 and no max-pool.

He et al., "Deep Residual Learning for Image Recognition", 2016; the stem change is the usual
one for CIFAR (as in solo-learn and lightly's benchmarks).
"""

from __future__ import annotations

from typing import Any

import torchvision
from torch import nn

from nnframe.core.backbones.registry import register_backbone


def _cifar_resnet(arch: str, in_chans: int, pretrained: bool, **kwargs: Any) -> nn.Module:
    if pretrained:
        raise ValueError(f"cifar_{arch} has no pretrained weights; set model.pretrained=false")
    model = getattr(torchvision.models, arch)(weights=None, **kwargs)
    model.conv1 = nn.Conv2d(in_chans, 64, kernel_size=3, stride=1, padding=1, bias=False)
    model.maxpool = nn.Identity()
    model.num_features = model.fc.in_features
    model.fc = nn.Identity()
    return model


@register_backbone
def cifar_resnet18(pretrained: bool = False, in_chans: int = 3, **kwargs: Any) -> nn.Module:
    """ResNet-18 with a CIFAR stem; 512 features."""
    return _cifar_resnet("resnet18", in_chans, pretrained, **kwargs)


@register_backbone
def cifar_resnet50(pretrained: bool = False, in_chans: int = 3, **kwargs: Any) -> nn.Module:
    """ResNet-50 with a CIFAR stem; 2048 features."""
    return _cifar_resnet("resnet50", in_chans, pretrained, **kwargs)
