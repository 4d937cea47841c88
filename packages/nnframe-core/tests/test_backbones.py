"""Every registered backbone builds and maps images to (batch, num_features); the registry
rejects duplicates and explains unknown names."""

from __future__ import annotations

import pytest
import torch

from nnframe.core.backbones import create_backbone, list_backbones, register_backbone
from nnframe.core.errors import ConfigError


@pytest.mark.parametrize("name", list_backbones())
def test_registered_backbone_outputs_pooled_features(name: str) -> None:
    backbone = create_backbone(name).eval()
    with torch.no_grad():
        features = backbone(torch.randn(2, 3, 32, 32))
    assert features.shape == (2, backbone.num_features)


def test_timm_name_and_single_channel() -> None:
    backbone = create_backbone("resnet18", in_chans=1).eval()
    assert backbone(torch.randn(1, 1, 32, 32)).shape == (1, 512)


def test_unknown_backbone_lists_registered_names() -> None:
    with pytest.raises(ConfigError, match=r"unknown backbone 'resnet_17'.*simple_cnn"):
        create_backbone("resnet_17")


def test_duplicate_registration_fails() -> None:
    with pytest.raises(ValueError, match="already registered"):
        register_backbone(lambda **kwargs: None, name="simple_cnn")
