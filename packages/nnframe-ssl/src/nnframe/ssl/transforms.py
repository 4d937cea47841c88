"""Adapting lightly's multi-view transforms to nnframe datasets.

nnframe datasets call ``transform(image, target)``; lightly's transforms take a PIL image and
return a list of views. :class:`ViewsTransform` bridges the two and fills in what depends on
the data (image size, normalisation), so a method's YAML only holds the method's own settings.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any

import torch
from lightly.transforms import BYOLTransform, BYOLView1Transform, BYOLView2Transform
from lightly.transforms.gaussian_blur import GaussianBlur
from lightly.transforms.rotation import RandomRotate
from lightly.transforms.solarize import RandomSolarization
from lightly.transforms.torchvision_v2_compatibility import ToTensor
from PIL import Image
from torchvision.transforms.v2 import functional as F

from nnframe.core.cv_tools import resolve_normalization
from nnframe.core.data.on_device.device_augment import StepTranslator, TransformPlan, plan_from_transform
from nnframe.core.errors import ConfigError

# DINO's local crops are 96 px for 224 px global crops; keep that ratio at other sizes.
_LOCAL_CROP_RATIO = 96 / 224


def _to_pil(image: Any) -> Image.Image:
    if isinstance(image, Image.Image):
        return image
    if isinstance(image, torch.Tensor):
        return F.to_pil_image(image)
    return Image.fromarray(image)


def _rotation_step(step: RandomRotate) -> dict[str, Any]:
    if step.angle % 360 != 90:
        raise ConfigError(f"data.on_device rotates by 90 degrees only, the views rotate by {step.angle}; "
                          "set data.on_device=false")
    return {"rot90_p": float(step.prob)}


#: lightly's own per-image steps and their batch versions (``data.on_device=true``).
LIGHTLY_BATCH_STEPS: dict[type, StepTranslator] = {
    ToTensor: lambda step: {},
    GaussianBlur: lambda step: {"blur_p": float(step.prob), "blur_sigmas": tuple(step.sigmas)},
    RandomSolarization: lambda step: {"solarize_p": float(step.prob), "solarize_threshold": step.threshold / 255},
    RandomRotate: _rotation_step,
}


class ViewsTransform:
    """Turns ``(image, target)`` into ``(views, target)`` with a lightly transform.

    Args:
        views: a lightly transform class or partial (``SimCLRTransform``, ``DINOTransform``...);
            called with ``normalize`` and, unless set in the partial, the size arguments it
            takes (``input_size``; ``global_crop_size`` and ``local_crop_size`` for multi-crop).
        image_size: side of the (global) views in pixels.
        normalization: dataset name in ``cv_tools.NORMALIZATION_STATS`` or ``[mean, std]``.

    Returns (when called):
        A list of view tensors, each (channels, size, size), and the unchanged target.
    """

    def __init__(self, views: Callable[..., Callable[[Any], list[torch.Tensor]]], image_size: int = 32,
                 normalization: str | Sequence[Sequence[float]] = "imagenet") -> None:
        mean, std = resolve_normalization(normalization)
        given = views.keywords if isinstance(views, functools.partial) else {}
        target = views.func if isinstance(views, functools.partial) else views
        accepted = inspect.signature(target).parameters
        sizes = {"input_size": image_size, "global_crop_size": image_size,
                 "local_crop_size": max(8, round(image_size * _LOCAL_CROP_RATIO))}
        kwargs: dict[str, Any] = {k: v for k, v in sizes.items() if k in accepted and k not in given}
        self.image_size = image_size
        self.transform = views(normalize={"mean": list(mean), "std": list(std)}, **kwargs)

    def __call__(self, image: Any, target: Any = None) -> tuple[list[torch.Tensor], Any]:
        return list(self.transform(_to_pil(image))), target

    def batch_plans(self) -> list[TransformPlan]:
        """One on-device plan per view, for ``data.on_device=true`` (see
        :func:`~nnframe.core.data.on_device.device_batch_loader.build_device_loader`).

        Raises:
            ConfigError: a view uses a step without a batch version (names it).
        """
        views = getattr(self.transform, "transforms", None)
        if views is None:
            raise ConfigError(f"data.on_device cannot read the views of {type(self.transform).__name__}; "
                              "set data.on_device=false")
        return [plan_from_transform(getattr(view, "transform", view), LIGHTLY_BATCH_STEPS) for view in views]

    def __repr__(self) -> str:
        return f"ViewsTransform({self.transform!r})"


def byol_transform(input_size: int = 224, normalize: dict[str, list[float]] | None = None,
                   **kwargs: Any) -> BYOLTransform:
    """BYOL's two asymmetric views (blur always / rarely, solarisation never / sometimes).

    Args:
        input_size: side of the views.
        normalize: ``{"mean": [...], "std": [...]}``.
        **kwargs: arguments given to both view transforms (``min_scale``, ``gaussian_blur``...).
    """
    common = {"input_size": input_size, "normalize": normalize, **kwargs}
    return BYOLTransform(BYOLView1Transform(**common), BYOLView2Transform(**common))
