"""The input sizes a backbone takes: a ViT is created at the data's size, a CNN takes any."""

from __future__ import annotations

import pytest

from nnframe.core.backbones import InputSize, backbone_input_size, backbone_size_kwargs
from nnframe.core.backbones import input_size as input_size_module
from nnframe.core.errors import ConfigError


def test_a_timm_vit_has_a_fixed_size_that_timm_can_change() -> None:
    assert backbone_input_size("vit_tiny_patch16_224") == InputSize(224, resizable=True)
    assert backbone_size_kwargs("vit_tiny_patch16_224", 32) == {"img_size": 32}
    assert backbone_size_kwargs("vit_tiny_patch16_224", 224) == {}


def test_cnns_take_any_size() -> None:
    assert backbone_input_size("resnet18") == InputSize()
    assert backbone_input_size("simple_cnn") == InputSize()
    assert backbone_size_kwargs("simple_cnn", 32) == {} == backbone_size_kwargs("resnet18", 32)


def test_a_model_of_one_size_given_another_names_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(input_size_module, "backbone_input_size", lambda name: InputSize(224, resizable=False))
    with pytest.raises(ConfigError, match=r"takes 224 px images only and data.image_size=32: set data.image_size=224"):
        backbone_size_kwargs("some_vit", 32)
