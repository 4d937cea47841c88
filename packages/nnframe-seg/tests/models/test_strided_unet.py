"""`model.arch=strided_unet`: a U-Net whose decoder stops at a stride and upsamples its logits."""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F

from nnframe.core.errors import ConfigError
from nnframe.seg.models import create_segmentation_model


def _strided(stride: int, channels: list[int]) -> torch.nn.Module:
    kwargs = {"encoder_depth": 3, "decoder_channels": channels, "decoder_output_stride": stride}
    return create_segmentation_model("strided_unet", "simple_cnn", None, 3, 6, kwargs)


def test_decoder_stops_at_the_stride_and_the_head_upsamples_to_the_input_size() -> None:
    net = _strided(2, [32, 16]).eval()
    assert len(net.decoder.blocks) == 2  # smp's unet of this depth has 3
    images = torch.randn(2, 3, 32, 48)
    with torch.no_grad():
        decoded = net.decoder(net.encoder(images))
        logits = net(images)
    assert decoded.shape == (2, 16, 16, 24)
    assert logits.shape == (2, 6, 32, 48)
    # Bilinear with pixel centres aligned: the logits are the half-size ones upsampled.
    expected = F.interpolate(net.segmentation_head[0](decoded), scale_factor=2, mode="bilinear",
                             align_corners=False)
    assert torch.allclose(logits, expected, atol=1e-6)


def test_stride_four_keeps_one_block_and_learns_end_to_end() -> None:
    net = _strided(4, [32])
    assert len(net.decoder.blocks) == 1
    images, target = torch.randn(4, 3, 32, 32), torch.randint(0, 6, (4, 32, 32))
    F.cross_entropy(net(images), target).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in net.parameters())


@pytest.mark.parametrize("kwargs, message", [
    ({"encoder_depth": 3, "decoder_channels": [32, 16, 16], "decoder_output_stride": 2}, "needs 2 widths"),
    ({"encoder_depth": 3, "decoder_channels": [32, 16], "decoder_output_stride": 3}, "must be 2, 4"),
    ({"encoder_depth": 3, "decoder_channels": [], "decoder_output_stride": 8}, "must be 2, 4"),
])
def test_bad_widths_or_stride_fail_before_training(kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        create_segmentation_model("strided_unet", "simple_cnn", None, 3, 6, kwargs)
