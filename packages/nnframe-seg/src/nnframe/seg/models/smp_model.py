"""Any segmentation-models-pytorch architecture with any of its encoders, by name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import segmentation_models_pytorch as smp
from omegaconf import DictConfig, OmegaConf
from torch import nn

from nnframe.core.errors import ConfigError
from nnframe.seg.models.simple_cnn_encoder import register_simple_cnn_encoder

register_simple_cnn_encoder()
SMP_ARCHITECTURES: tuple[str, ...] = tuple(sorted(smp.MODEL_ARCHITECTURES_MAPPING))


def create_segmentation_model(
    arch: str = "unet",
    encoder: str = "resnet18",
    encoder_weights: str | None = None,
    in_channels: int = 3,
    num_classes: int = 2,
    arch_kwargs: Mapping[str, Any] | None = None,
) -> nn.Module:
    """An smp model, e.g. ``create_segmentation_model("fpn", "resnet34")``.

    Args:
        arch: smp architecture (``unet``, ``unetplusplus``, ``fpn``, ``deeplabv3plus``, ``pspnet``,
            ``segformer``, ...), case-insensitive.
        encoder: an smp encoder (``resnet18``, ``efficientnet-b0``, ``mit_b0``), nnframe's
            ``simple_cnn`` (see :class:`~nnframe.seg.models.simple_cnn_encoder.SimpleCNNEncoder`) or
            any timm model as ``tu-<timm name>`` (``tu-mobilenetv3_small_100``).
        encoder_weights: ``imagenet`` etc. downloads published weights; None starts from scratch.
        in_channels: input channels.
        num_classes: output channels (one logit map per class).
        arch_kwargs: further constructor arguments of the architecture (``encoder_depth``,
            ``decoder_channels``, ...).

    Shape: (B, in_channels, H, W) -> (B, num_classes, H, W) logits; H and W must be divisible by
    the encoder's output stride (32 for depth 5).

    Raises:
        ConfigError: unknown architecture, encoder or argument.
    """
    if isinstance(arch_kwargs, DictConfig):
        arch_kwargs = OmegaConf.to_container(arch_kwargs, resolve=True)  # type: ignore[assignment]
    kwargs = dict(arch_kwargs or {})
    if arch.lower() not in smp.MODEL_ARCHITECTURES_MAPPING:
        raise ConfigError(f"unknown model.arch={arch!r}; choose one of {', '.join(SMP_ARCHITECTURES)}")
    if not encoder.startswith("tu-") and encoder not in smp.encoders.get_encoder_names():
        raise ConfigError(
            f"unknown model.encoder={encoder!r}; choose an smp encoder ({', '.join(smp.encoders.get_encoder_names()[:12])}"
            ", ...) or a timm model as tu-<name>, e.g. tu-mobilenetv3_small_100"
        )
    try:
        return smp.create_model(arch, encoder_name=encoder, encoder_weights=encoder_weights,
                                in_channels=in_channels, classes=num_classes, **kwargs)
    except (KeyError, TypeError, ValueError, RuntimeError) as error:
        raise ConfigError(f"cannot build {arch} with encoder {encoder} and {kwargs}: {error}") from error
