"""MixUp / CutMix on whole training batches (torchvision.transforms.v2), with soft targets."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torchvision.transforms import v2

from nnframe.core.errors import ConfigError

#: ``(images, labels) -> (mixed images, soft targets)``: (B, C, H, W), (B,) int64 -> (B, C, H, W), (B, classes).
BatchMixing = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


class MixUpCutMix:
    """Mixes each training batch with MixUp (Zhang et al., 2018) and/or CutMix (Yun et al., 2019).

    With both alphas set, each batch gets one of them at random (probability 0.5 each, timm's
    ``switch_prob`` default). One mixing coefficient per batch, drawn from Beta(alpha, alpha), as
    torchvision and timm's default batch mode do. The targets come back as class
    probabilities ``(B, classes)``; cross-entropy takes them as they are.

    Args:
        num_classes: classes of the labels.
        mixup_alpha: Beta parameter of MixUp (0 = off).
        cutmix_alpha: Beta parameter of CutMix (0 = off).

    Raises:
        ConfigError: both alphas are 0, or one is negative.
    """

    def __init__(self, num_classes: int, mixup_alpha: float = 0.0, cutmix_alpha: float = 0.0) -> None:
        if mixup_alpha < 0 or cutmix_alpha < 0 or mixup_alpha + cutmix_alpha == 0:
            raise ConfigError(f"data.mixup_alpha={mixup_alpha} / data.cutmix_alpha={cutmix_alpha}: set at least one "
                              "to a positive Beta parameter (e.g. 0.2 and 1.0), or both to 0 for no mixing")
        mixers = []
        if mixup_alpha > 0:
            mixers.append(v2.MixUp(alpha=mixup_alpha, num_classes=num_classes))
        if cutmix_alpha > 0:
            mixers.append(v2.CutMix(alpha=cutmix_alpha, num_classes=num_classes))
        self.num_classes = num_classes
        self.mix = mixers[0] if len(mixers) == 1 else v2.RandomChoice(mixers)

    def __call__(self, images: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if labels.ndim != 1 or labels.dtype not in (torch.int64, torch.int32, torch.uint8):
            raise ConfigError(f"data.mixup_alpha / data.cutmix_alpha mix class labels (one integer per image); this "
                              f"data's targets have shape {tuple(labels.shape)} and dtype {labels.dtype}: set both to 0")
        mixed, targets = self.mix(images.as_subclass(torch.Tensor), labels.long())
        return mixed, targets


def batch_mixing(num_classes: int, mixup_alpha: float = 0.0, cutmix_alpha: float = 0.0) -> MixUpCutMix | None:
    """A :class:`MixUpCutMix`, or None when both alphas are 0."""
    if not mixup_alpha and not cutmix_alpha:
        return None
    return MixUpCutMix(num_classes, mixup_alpha, cutmix_alpha)
