"""The input sizes a backbone can take: most CNNs take any size, a ViT takes the size it was
created at (timm's ``pretrained_cfg['fixed_input_size']``); timm creates many of those at
another size (``img_size=``, position embeddings resampled when weights are loaded)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import torch

from nnframe.core.errors import ConfigError


@dataclass(frozen=True)
class InputSize:
    """What input size a backbone accepts.

    Attributes:
        fixed: the only side the backbone takes as created by default (e.g. 224), None for any.
        resizable: whether it can be created at another side (timm's ``img_size=``).
    """

    fixed: int | None = None
    resizable: bool = False


@cache
def backbone_input_size(name: str) -> InputSize:
    """The input size rule of backbone ``name`` (registered names take any size).

    A timm model whose ``pretrained_cfg`` says ``fixed_input_size`` is created once on the meta
    device with ``img_size=`` (no memory, no weights) to learn whether timm allows another size.
    """
    from nnframe.core.backbones.registry import list_backbones

    if name in list_backbones():
        return InputSize()
    import timm

    if not timm.is_model(name):
        return InputSize()
    pretrained_cfg = timm.models.get_pretrained_cfg(name)
    if pretrained_cfg is None or not getattr(pretrained_cfg, "fixed_input_size", False):
        return InputSize()
    fixed = int(pretrained_cfg.input_size[-1])
    probe = fixed * 2
    try:
        with torch.device("meta"):
            timm.create_model(name, pretrained=False, num_classes=0, img_size=probe)
    except Exception:  # noqa: BLE001  (any refusal means: only its own size)
        return InputSize(fixed, resizable=False)
    return InputSize(fixed, resizable=True)


def backbone_size_kwargs(name: str, image_size: int | None) -> dict[str, int]:
    """The creation arguments that make backbone ``name`` take ``image_size`` px images:
    ``img_size`` for a timm model of fixed input size that timm can create at another size.

    Raises:
        ConfigError: the backbone takes one size only and ``image_size`` is another.
    """
    if not isinstance(image_size, int) or isinstance(image_size, bool):
        return {}
    rule = backbone_input_size(name)
    if rule.fixed is None or image_size == rule.fixed:
        return {}
    if rule.resizable:
        return {"img_size": image_size}
    raise ConfigError(f"backbone {name} takes {rule.fixed} px images only and data.image_size={image_size}: "
                      f"set data.image_size={rule.fixed} (or data.image_size=auto)")
