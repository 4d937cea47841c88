"""A backbone from the core registry (or timm) with a linear classification head."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from nnframe.core.backbones import backbone_size_kwargs, create_backbone


class ImageClassifier(nn.Module):
    """``backbone`` features -> dropout -> linear head.

    Args:
        backbone: registered name (``simple_cnn``, ``cifar_resnet18``) or any timm model.
        num_classes: outputs of the head.
        in_chans: input channels.
        pretrained: published weights for the backbone (timm downloads them).
        backbone_weights: the former name of ``pretrained_file`` (kept for older checkpoints' configs).
        drop_rate: dropout before the head.
        pretrained_file: a local weights file for the backbone: timm's format, safetensors, a
            state dict, or an nnframe backbone file (``nnframe ssl export``).
        drop_path_rate: stochastic depth of timm backbones (0 = off).
        image_size: side of the images it will get: a timm backbone of fixed input size (a ViT)
            is created at this size where timm allows it (``img_size``; pretrained position
            embeddings are resampled); None: the backbone's default.

    Shape: (B, in_chans, H, W) -> (B, num_classes) logits.
    """

    def __init__(self, backbone: str = "simple_cnn", num_classes: int = 10, in_chans: int = 3,
                 pretrained: bool = False, backbone_weights: str | None = None, drop_rate: float = 0.0,
                 pretrained_file: str | Path | None = None, drop_path_rate: float = 0.0,
                 image_size: int | None = None) -> None:
        super().__init__()
        self.backbone_name = backbone
        kwargs: dict[str, Any] = {"drop_path_rate": drop_path_rate} if drop_path_rate else {}
        kwargs.update(backbone_size_kwargs(backbone, image_size))
        self.backbone = create_backbone(backbone, pretrained=pretrained, in_chans=in_chans,
                                        pretrained_file=pretrained_file or backbone_weights, **kwargs)
        self.dropout = nn.Dropout(drop_rate)
        self.head = nn.Linear(self.backbone.num_features, num_classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(self.backbone(images)))

    def group_matcher(self, coarse: bool = False) -> Any:
        """timm's layer grouping of the backbone (for layer-wise learning-rate decay), with the
        head after the backbone's last layer.

        Raises:
            AttributeError: the backbone is not a timm model (no ``group_matcher``).
        """
        matcher = self.backbone.group_matcher(coarse=coarse)
        if callable(matcher):
            def grouped(name: str) -> Any:
                return matcher(name.removeprefix("backbone.")) if name.startswith("backbone.") else float("inf")
            return grouped

        def prefixed(pattern: str) -> str:
            return r"^backbone\." + pattern.removeprefix("^")

        out: dict[str, Any] = {}
        for key, spec in matcher.items():
            if isinstance(spec, str):
                out[key] = prefixed(spec)
            elif isinstance(spec, list | tuple):
                out[key] = [(prefixed(pattern), suffix) for pattern, suffix in spec]
            else:
                out[key] = spec
        return out
