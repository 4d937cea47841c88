"""A backbone from the core registry (or timm) with a linear classification head."""

from __future__ import annotations

import torch
from torch import nn

from nnframe.core.backbones import create_backbone, load_backbone_weights


class ImageClassifier(nn.Module):
    """``backbone`` features -> dropout -> linear head.

    Args:
        backbone: registered name (``simple_cnn``, ``cifar_resnet18``) or any timm model.
        num_classes: outputs of the head.
        in_chans: input channels.
        pretrained: published weights for the backbone (timm downloads them).
        backbone_weights: an nnframe backbone file (e.g. from ``nnframe ssl export``) to start from.
        drop_rate: dropout before the head.

    Shape: (B, in_chans, H, W) -> (B, num_classes) logits.
    """

    def __init__(self, backbone: str = "simple_cnn", num_classes: int = 10, in_chans: int = 3,
                 pretrained: bool = False, backbone_weights: str | None = None, drop_rate: float = 0.0) -> None:
        super().__init__()
        self.backbone_name = backbone
        self.backbone = create_backbone(backbone, pretrained=pretrained, in_chans=in_chans)
        if backbone_weights:
            load_backbone_weights(self.backbone, backbone_weights, expected_name=backbone)
        self.dropout = nn.Dropout(drop_rate)
        self.head = nn.Linear(self.backbone.num_features, num_classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(self.backbone(images)))
