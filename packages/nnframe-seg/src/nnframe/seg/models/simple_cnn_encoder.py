"""Core's small CNN as a segmentation-models-pytorch encoder (``model.encoder=simple_cnn``).

smp builds an encoder by name from its ``encoders`` table; adding this one there makes it work
with every smp architecture (``unet``, ``fpn``, ...) like smp's own encoders. Its stages are
those of :class:`nnframe.core.backbones.SimpleCNN` (conv-BN-ReLU, max pooling between stages),
the plain 3x3 convolutions that run fastest on a CPU at the shapes demo's 32x32 pixels.
"""

from __future__ import annotations

from typing import Any

import torch
from segmentation_models_pytorch.encoders import encoders as smp_encoders
from segmentation_models_pytorch.encoders._base import EncoderMixin
from torch import nn

ENCODER_NAME = "simple_cnn"


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class SimpleCNNEncoder(nn.Module, EncoderMixin):
    """Stage ``i`` has ``width * 2**i`` channels (at most ``16 * width``) at stride ``2**i``.

    Args:
        depth: stages after the first (the decoder's number of upsampling steps), 1 to 5.
        width: channels of the first stage (core's SimpleCNN: 16).
        in_channels: image channels.
        output_stride: smp's argument; only 32 (no dilation: the stages downsample by pooling).

    Shape: (B, in_channels, H, W) -> ``depth + 1`` feature maps, (B, C_i, H / 2**i, W / 2**i).
    """

    def __init__(self, depth: int = 5, width: int = 16, in_channels: int = 3, output_stride: int = 32,
                 **kwargs: Any) -> None:
        if not 1 <= depth <= 5:
            raise ValueError(f"{ENCODER_NAME} encoder depth must be 1 to 5, got {depth}")
        if output_stride != 32:
            raise ValueError(f"{ENCODER_NAME} downsamples by max pooling and has no dilated mode (output_stride)")
        nn.Module.__init__(self)
        EncoderMixin.__init__(self)
        channels = [width * 2 ** min(i, 4) for i in range(6)]
        self._depth = depth
        self._in_channels = in_channels
        self._out_channels = channels
        self._output_stride = output_stride
        stages = [_block(in_channels, channels[0])]
        stages += [nn.Sequential(nn.MaxPool2d(2), _block(channels[i - 1], channels[i])) for i in range(1, depth + 1)]
        self.stages = nn.ModuleList(stages)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        features = []
        for stage in self.stages:
            x = stage(x)
            features.append(x)
        return features

    def make_dilated(self, *args: Any, **kwargs: Any) -> None:
        raise ValueError(f"{ENCODER_NAME} downsamples by max pooling and has no dilated mode (output_stride)")


def register_simple_cnn_encoder() -> None:
    """Add ``simple_cnn`` to smp's encoder table (no pretrained weights); idempotent."""
    smp_encoders.setdefault(ENCODER_NAME, {"encoder": SimpleCNNEncoder, "pretrained_settings": {}, "params": {}})
