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
from PIL import Image
from torchvision.transforms.v2 import functional as F

from nnframe.core.cv_tools import resolve_normalization

# DINO's local crops are 96 px for 224 px global crops; keep that ratio at other sizes.
_LOCAL_CROP_RATIO = 96 / 224


def _to_pil(image: Any) -> Image.Image:
    if isinstance(image, Image.Image):
        return image
    if isinstance(image, torch.Tensor):
        return F.to_pil_image(image)
    return Image.fromarray(image)


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
