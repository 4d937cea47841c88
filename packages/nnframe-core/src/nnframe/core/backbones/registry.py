"""The backbone registry: ``@register_backbone`` factories, with timm as the fallback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from torch import nn

from nnframe.core.errors import ConfigError

BackboneFactory = Callable[..., nn.Module]
_REGISTRY: dict[str, BackboneFactory] = {}


def register_backbone(factory: BackboneFactory | None = None, *, name: str | None = None) -> Any:
    """Register a factory ``(pretrained: bool, in_chans: int, **kwargs) -> nn.Module``.

    The module must map (B, C, H, W) images to (B, num_features) and have ``num_features``.
    Usable as ``@register_backbone`` or ``@register_backbone(name="...")``.

    Raises:
        ValueError: the name is already registered.
    """

    def decorate(fn: BackboneFactory) -> BackboneFactory:
        key = name or fn.__name__
        if key in _REGISTRY:
            raise ValueError(f"backbone {key!r} is already registered (by {_REGISTRY[key].__module__})")
        _REGISTRY[key] = fn
        return fn

    return decorate(factory) if factory is not None else decorate


def list_backbones() -> list[str]:
    """Names registered in nnframe (any timm model name works as well)."""
    return sorted(_REGISTRY)


def is_backbone(name: str) -> bool:
    """Whether ``name`` is registered here or is a timm model."""
    import timm

    return name in _REGISTRY or timm.is_model(name)


#: Attribute of a backbone built with pretrained weights: the :class:`WeightsReport` of the load.
WEIGHTS_REPORT_ATTR = "nnframe_weights_report"


def create_backbone(name: str, pretrained: bool = False, in_chans: int = 3,
                    pretrained_file: str | Path | None = None, **kwargs: Any) -> nn.Module:
    """Build a backbone without classifier head.

    Args:
        name: a registered name (``list_backbones()``) or any timm model (``resnet18``,
            ``convnext_tiny``, ``vit_small_patch16_224``...).
        pretrained: load the published weights (timm downloads them on first use).
        in_chans: input channels (1 for MNIST).
        pretrained_file: load the weights from this local file instead (timm's format,
            safetensors, a state dict, or an nnframe backbone file from ``nnframe ssl export``).
        **kwargs: passed to the factory (e.g. ``drop_rate``).

    The load is reported in the run output (tensors loaded, missing, unused) and kept on the
    backbone as ``nnframe_weights_report``.

    Raises:
        ConfigError: the name is unknown; lists the registered names.
        CheckpointError: the weights file is missing, unreadable or does not fit.
    """
    from nnframe.core.backbones.pretrained_weights import create_timm_backbone, load_weights_file

    if name in _REGISTRY:
        module = _REGISTRY[name](pretrained=pretrained and pretrained_file is None, in_chans=in_chans, **kwargs)
        if pretrained_file is not None:
            report = load_weights_file(module, pretrained_file, f"backbone {name}", expected_name=name).log()
            setattr(module, WEIGHTS_REPORT_ATTR, report)
        return module
    import timm

    if not timm.is_model(name):
        close = timm.list_models(f"*{name}*")[:10]
        hint = f" Similar timm models: {', '.join(close)}." if close else ""
        raise ConfigError(
            f"unknown backbone {name!r}. Registered: {', '.join(list_backbones())}; or any timm model "
            f"(see timm.list_models()).{hint}"
        )
    module, timm_report = create_timm_backbone(name, pretrained, pretrained_file, in_chans, **kwargs)
    if timm_report is not None:
        setattr(module, WEIGHTS_REPORT_ATTR, timm_report)
    return module
