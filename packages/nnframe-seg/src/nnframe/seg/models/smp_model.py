"""Any segmentation-models-pytorch architecture with any of its encoders, by name."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import segmentation_models_pytorch as smp
import timm
from omegaconf import DictConfig, OmegaConf
from torch import nn

from nnframe.core.backbones import Preprocessing, load_weights_file, timm_preprocessing
from nnframe.core.backbones.hub_weights import (
    WEIGHT_FILES,
    local_weights_or_raise,
    offline_reason,
    weights_unavailable,
)
from nnframe.core.backbones.preprocessing import nnframe_file_preprocessing
from nnframe.core.backbones.pretrained_weights import (
    create_with_timm_loader,
    read_nnframe_backbone_file,
    timm_pretrained_overlay,
)
from nnframe.core.cv_tools import NORMALIZATION_STATS
from nnframe.core.errors import ConfigError
from nnframe.seg.models.simple_cnn_encoder import register_simple_cnn_encoder
from nnframe.seg.models.strided_unet import register_strided_unet

register_simple_cnn_encoder()
register_strided_unet()
SMP_ARCHITECTURES: tuple[str, ...] = tuple(sorted(smp.MODEL_ARCHITECTURES_MAPPING))


def create_segmentation_model(
    arch: str = "unet",
    encoder: str = "resnet18",
    encoder_weights: str | None = None,
    in_channels: int = 3,
    num_classes: int = 2,
    arch_kwargs: Mapping[str, Any] | None = None,
    pretrained_file: str | Path | None = None,
) -> nn.Module:
    """An smp model, e.g. ``create_segmentation_model("fpn", "resnet34")``.

    Args:
        arch: smp architecture (``unet``, ``unetplusplus``, ``fpn``, ``deeplabv3plus``, ``pspnet``,
            ``segformer``, ...) or nnframe's ``strided_unet`` (see
            :class:`~nnframe.seg.models.strided_unet.StridedUnet`), case-insensitive.
        encoder: an smp encoder (``resnet18``, ``efficientnet-b0``, ``mit_b0``), nnframe's
            ``simple_cnn`` (see :class:`~nnframe.seg.models.simple_cnn_encoder.SimpleCNNEncoder`) or
            any timm model as ``tu-<timm name>`` (``tu-mobilenetv3_small_100``).
        encoder_weights: ``imagenet`` etc. downloads published weights; None starts from scratch.
        in_channels: input channels.
        num_classes: output channels (one logit map per class).
        arch_kwargs: further constructor arguments of the architecture (``encoder_depth``,
            ``decoder_channels``, ...): flat, for ``arch`` whatever it is, or keyed by architecture
            (``{"unet": {...}, "strided_unet": {...}}``, as the model configs write them), of which
            only ``arch``'s entry is passed on (see :func:`arch_kwargs_for`).
        pretrained_file: a local file of encoder weights, loaded into ``model.encoder`` instead
            of downloading ``encoder_weights``: the encoder's state dict (smp's own files, a
            torchvision or timm classification checkpoint of the same network) or an nnframe
            backbone file (``nnframe ssl export``). The load is reported (tensors loaded,
            missing, unused) and kept as ``model.encoder.nnframe_weights_report``.

    Shape: (B, in_channels, H, W) -> (B, num_classes, H, W) logits; H and W must be divisible by
    the encoder's output stride (32 for depth 5).

    Raises:
        ConfigError: unknown architecture, encoder or argument.
    """
    if arch.lower() not in smp.MODEL_ARCHITECTURES_MAPPING:
        raise ConfigError(f"unknown model.arch={arch!r}; choose one of {', '.join(SMP_ARCHITECTURES)}")
    kwargs = arch_kwargs_for(arch, arch_kwargs)
    if not encoder.startswith("tu-") and encoder not in smp.encoders.get_encoder_names():
        raise ConfigError(
            f"unknown model.encoder={encoder!r}; choose an smp encoder ({', '.join(smp.encoders.get_encoder_names()[:12])}"
            ", ...) or a timm model as tu-<name>, e.g. tu-mobilenetv3_small_100"
        )

    def build(**weights: Any) -> nn.Module:
        try:
            return smp.create_model(arch, encoder_name=encoder, in_channels=in_channels, classes=num_classes,
                                    **weights, **kwargs)
        except (KeyError, TypeError, ValueError, RuntimeError) as error:
            raise ConfigError(f"cannot build {arch} with encoder {encoder} and {kwargs}: {error}") from error

    if not pretrained_file:
        if encoder_weights:
            _weights_reachable(encoder, encoder_weights)
        return build(encoder_weights=encoder_weights)
    if encoder.startswith("tu-"):
        # timm encoders: timm's own loader reads the file (its key filter, channel adaptation)
        overlay = timm_pretrained_overlay(pretrained_file, expected_name=encoder[3:])
        build(encoder_weights=None)  # a bad architecture or argument is a ConfigError, not a weights error
        model, report = create_with_timm_loader(
            lambda: smp.create_model(arch, encoder_name=encoder, encoder_weights="imagenet", in_channels=in_channels,
                                     classes=num_classes, pretrained_cfg_overlay=overlay, **kwargs),
            lambda model: model.encoder.model, f"encoder {encoder}", str(pretrained_file))
    else:
        model = build(encoder_weights=None)
        report = load_weights_file(model.encoder, pretrained_file, f"encoder {encoder}",
                                   expected_name=encoder if read_nnframe_backbone_file(pretrained_file) else None).log()
    model.encoder.nnframe_weights_report = report
    return model


def arch_kwargs_for(arch: str, arch_kwargs: Mapping[str, Any] | None) -> dict[str, Any]:
    """The constructor arguments of ``arch`` in ``arch_kwargs``.

    A model config keys its arguments by the architecture they were written for, so that
    ``model.arch=fpn`` on top of ``model=unet_small`` builds smp's FPN with its own defaults
    instead of the U-Net's depth and decoder widths. Plain keys (not an architecture's name, e.g.
    ``+model.arch_kwargs.encoder_depth=4``) apply to ``arch``, over its own entry.
    """
    if isinstance(arch_kwargs, DictConfig):
        arch_kwargs = OmegaConf.to_container(arch_kwargs, resolve=True)  # type: ignore[assignment]
    kwargs = dict(arch_kwargs or {})
    per_arch = {key: value for key, value in kwargs.items() if str(key).lower() in smp.MODEL_ARCHITECTURES_MAPPING}
    plain = {key: value for key, value in kwargs.items() if key not in per_arch}
    own = next((value for key, value in per_arch.items() if key.lower() == arch.lower()), None)
    return {**(own or {}), **plain}


_SCRATCH = "model.encoder_weights=null"


def _weights_reachable(encoder: str, weights: str) -> None:
    """Without network (``HF_HUB_OFFLINE=1``, or the Hub unreachable), smp's weights must be in the
    Hugging Face cache: else one error with the manual fix, not a minute of retries."""
    if encoder.startswith("tu-"):
        repo_id = getattr(timm.models.get_pretrained_cfg(encoder[3:]), "hf_hub_id", None)
        local_weights_or_raise(repo_id, scratch=_SCRATCH)
        return
    settings = smp.encoders.encoders.get(encoder, {}).get("pretrained_settings", {}).get(weights) or {}
    repo_id = settings.get("repo_id")
    reason = offline_reason() if repo_id else None
    if reason is None:
        return
    from huggingface_hub import try_to_load_from_cache

    if not any(isinstance(try_to_load_from_cache(repo_id, name, revision=settings.get("revision")), str)
               for name in WEIGHT_FILES):
        raise weights_unavailable(repo_id, reason, scratch=_SCRATCH)


def smp_preprocessing(encoder: str, encoder_weights: str | None = None,
                      pretrained_file: str | Path | None = None) -> Preprocessing | None:
    """The normalisation an smp encoder's pretrained weights expect, or None without weights.

    An nnframe backbone file gives its training run's; ``tu-`` encoders timm's
    ``pretrained_cfg``; smp's own weights the ``config.json`` smp publishes with them (fetched
    from the Hugging Face hub as smp does, or from its cache when ``pretrained_file`` says there
    is no network). ``pretrained_file`` with ``encoder_weights=null`` assumes ImageNet weights.
    """
    if pretrained_file:
        from_file = nnframe_file_preprocessing(pretrained_file)
        if from_file is not None:
            return from_file
        if Path(pretrained_file).is_file() and read_nnframe_backbone_file(pretrained_file) is not None:
            return None
    weights = encoder_weights or ("imagenet" if pretrained_file else None)
    if weights is None:
        return None
    if encoder.startswith("tu-"):
        return timm_preprocessing(encoder[3:])
    settings = smp.encoders.encoders.get(encoder, {}).get("pretrained_settings", {}).get(weights)
    if settings:
        try:
            import json

            from huggingface_hub import hf_hub_download

            config = hf_hub_download(settings["repo_id"], filename="config.json", revision=settings.get("revision"),
                                     local_files_only=pretrained_file is not None or offline_reason() is not None)
            params = json.loads(Path(config).read_text())
            return Preprocessing(tuple(params["mean"]), tuple(params["std"]),
                                 source=f"smp's config of {encoder} {weights} weights")
        except Exception:  # offline and not cached: the ImageNet statistics most smp weights use
            pass
    if weights == "imagenet":
        mean, std = NORMALIZATION_STATS["imagenet"]
        return Preprocessing(mean, std, source=f"ImageNet statistics, assumed for {encoder}'s {weights} weights: "
                                               "smp's config of them is not in the Hugging Face cache")
    return None
