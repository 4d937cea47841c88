"""A small, fast convolutional network for tiny images (the shapes demos, CPU tests)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from nnframe.core.backbones.registry import register_backbone


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class SimpleCNN(nn.Module):
    """Four conv-BN-ReLU stages (widths ``width * (1, 2, 4, 8)``), stride 2 between stages,
    global average pooling.

    Shape: (B, in_chans, H, W) -> (B, num_features).
    """

    def __init__(self, in_chans: int = 3, width: int = 16, drop_rate: float = 0.0) -> None:
        super().__init__()
        widths = [width, width * 2, width * 4, width * 8]
        layers: list[nn.Module] = [_block(in_chans, widths[0])]
        for cin, cout in zip(widths[:-1], widths[1:], strict=True):
            layers += [nn.MaxPool2d(2), _block(cin, cout)]
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(drop_rate)
        self.num_features = widths[-1]

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.pool(self.features(images)).flatten(1))


@register_backbone
def simple_cnn(pretrained: bool = False, in_chans: int = 3, width: int = 16, **kwargs: Any) -> SimpleCNN:
    """A ~0.4M-parameter CNN for 32x32 inputs; no pretrained weights exist."""
    if pretrained:
        raise ValueError("simple_cnn has no pretrained weights; set model.pretrained=false")
    return SimpleCNN(in_chans=in_chans, width=width, **kwargs)
