"""`model.encoder=simple_cnn`: core's small CNN as an smp encoder, in any smp architecture."""

from __future__ import annotations

import pytest
import torch

from nnframe.core.errors import ConfigError
from nnframe.seg.models import create_segmentation_model
from nnframe.seg.models.simple_cnn_encoder import SimpleCNNEncoder


def test_stages_halve_the_resolution_and_double_the_channels() -> None:
    features = SimpleCNNEncoder(depth=4)(torch.randn(2, 3, 32, 32))
    assert [tuple(f.shape[1:]) for f in features] == [(16, 32, 32), (32, 16, 16), (64, 8, 8), (128, 4, 4),
                                                      (256, 2, 2)]


@pytest.mark.parametrize("arch, kwargs", [
    ("unet", {"encoder_depth": 3, "decoder_channels": [64, 32, 16]}),
    ("fpn", {"encoder_depth": 3, "upsampling": 1}),
])
def test_builds_smp_architectures_for_any_input_channels(arch: str, kwargs: dict) -> None:
    for in_channels in (3, 1):
        net = create_segmentation_model(arch, "simple_cnn", None, in_channels, 6, kwargs)
        assert net(torch.randn(2, in_channels, 32, 32)).shape == (2, 6, 32, 32)


def test_unknown_depth_pretrained_weights_and_dilation_fail_clearly() -> None:
    with pytest.raises(ValueError, match="depth must be 1 to 5"):
        SimpleCNNEncoder(depth=6)
    with pytest.raises(ConfigError, match="simple_cnn"):
        create_segmentation_model("unet", "simple_cnn", "imagenet", 3, 6, {"encoder_depth": 3,
                                                                            "decoder_channels": [32, 16, 8]})
    with pytest.raises(ConfigError, match="dilated"):
        create_segmentation_model("deeplabv3plus", "simple_cnn", None, 3, 6, {"encoder_depth": 4})
