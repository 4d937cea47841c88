"""Transform presets on torchvision.transforms.v2.

The same preset works on PIL images, uint8 tensors and ``tv_tensors.Image`` (a task's joint
presets, e.g. ``nnframe.seg.transforms``, build on :func:`to_float_normalized`). ``in_channels`` adapts the normalisation stats to the images' channels (RGB stats
on grey images become one value each; see ``normalization.stats_for_channels``); runs get stats
of the right length from ``data.normalization``, which the run resolves for ``data.in_channels``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from PIL import Image
from torchvision import tv_tensors
from torchvision.transforms import v2
from torchvision.transforms.v2 import functional as TF

from nnframe.core.cv_tools.normalization import resolve_normalization


def to_float_normalized(normalization: str | Sequence[Sequence[float]],
                        in_channels: int | None = None) -> list[v2.Transform]:
    """The last steps of every preset: uint8 to float in [0, 1], then normalise.

    Args:
        normalization: dataset name in ``NORMALIZATION_STATS`` or ``[mean, std]``.
        in_channels: channels of the images (None: as many as the stats have).
    """
    mean, std = resolve_normalization(normalization, in_channels)
    return [v2.ToDtype(torch.float32, scale=True), v2.Normalize(mean=list(mean), std=list(std))]


#: ``interpolation`` values of the presets (``auto`` is resolved from the model before they are built).
INTERPOLATIONS = {"bilinear": v2.InterpolationMode.BILINEAR, "bicubic": v2.InterpolationMode.BICUBIC,
                  "nearest": v2.InterpolationMode.NEAREST}

#: ``auto_augment`` policies: ``rand-...`` strings are timm's RandAugment (``rand-m9-mstd0.5``:
#: magnitude 9 of 10, magnitude noise 0.5, 2 ops), the others torchvision's.
AUTO_AUGMENT_POLICIES = ("rand-m9-mstd0.5", "trivial", "autoaugment", "autoaugment-cifar10", "autoaugment-svhn")


class PILImageTransform(v2.Transform):
    """Runs a PIL-only transform (timm's augmentations) on the image of a sample, leaving the
    other entries (the target) alone; takes and returns a ``tv_tensors.Image`` (uint8)."""

    def __init__(self, transform: Callable[[Image.Image], Image.Image]) -> None:
        super().__init__()
        self.pil_transform = transform

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        if isinstance(inpt, tv_tensors.Image):
            return tv_tensors.wrap(TF.pil_to_tensor(self.pil_transform(TF.to_pil_image(inpt))), like=inpt)
        if isinstance(inpt, Image.Image):
            return self.pil_transform(inpt)
        return inpt


def _resolved(value: Any, key: str) -> Any:
    if value == "auto":
        raise ValueError(f"{key}=auto follows the model and is resolved before the data is built: build it with "
                         "nnframe.core.training.instantiate.build_datamodule(cfg) (or call "
                         "nnframe.core.training.auto_preprocessing.resolve_auto_preprocessing(cfg) first)")
    return value


def _interpolation(name: str) -> v2.InterpolationMode:
    _resolved(name, "interpolation")
    if name not in INTERPOLATIONS:
        raise ValueError(f"unknown interpolation {name!r}; choose one of {', '.join(INTERPOLATIONS)}")
    return INTERPOLATIONS[name]


def auto_augment_transform(policy: str, image_size: int, mean: Sequence[float],
                           interpolation: str = "bilinear") -> v2.Transform:
    """An automatic augmentation policy by name (see :data:`AUTO_AUGMENT_POLICIES`).

    ``rand-...`` builds timm's ``rand_augment_transform`` with timm's training defaults (fill with
    the dataset mean, translation up to 45% of the image side), wrapped to take and return a
    uint8 tensor (timm's operations work on PIL images; ``interpolation`` is theirs); ``trivial`` is torchvision's
    TrivialAugmentWide (Mueller & Hutter, 2021); ``autoaugment`` torchvision's AutoAugment
    ImageNet policy (Cubuk et al., 2019), ``autoaugment-cifar10`` / ``-svhn`` its other policies.

    Raises:
        ValueError: an unknown policy name.
    """
    _interpolation(interpolation)
    if policy == "rand" or policy.startswith("rand-"):
        from timm.data.auto_augment import rand_augment_transform
        from timm.data.transforms import str_to_pil_interp

        hparams = {"translate_const": int(image_size * 0.45),
                   "img_mean": tuple(min(255, round(255 * m)) for m in mean),
                   "interpolation": str_to_pil_interp(interpolation)}
        try:
            rand_augment = rand_augment_transform(policy, hparams)
        except (AssertionError, ValueError, KeyError) as error:
            raise ValueError(f"cannot read auto_augment={policy!r} as timm's RandAugment string "
                             f"(e.g. rand-m9-mstd0.5, rand-m7-n3): {error}") from error
        return PILImageTransform(rand_augment)
    if policy == "trivial":
        return v2.TrivialAugmentWide()  # torchvision's default nearest: bicubic needs PIL images
    if policy.startswith("autoaugment"):
        name = policy.partition("-")[2] or "imagenet"
        policies = {p.value.lower(): p for p in v2.AutoAugmentPolicy}
        if name not in policies:
            raise ValueError(f"unknown auto_augment={policy!r}; choose one of {', '.join(AUTO_AUGMENT_POLICIES)}")
        return v2.AutoAugment(policies[name])
    raise ValueError(f"unknown auto_augment={policy!r}; choose one of {', '.join(AUTO_AUGMENT_POLICIES)} "
                     "(rand-... takes any timm RandAugment string)")


def classification_train_transform(
    image_size: int = 32,
    normalization: str | Sequence[Sequence[float]] = "imagenet",
    crop: str = "random_crop",
    crop_padding: int = 4,
    min_scale: float = 0.08,
    hflip: bool = True,
    color_jitter: float = 0.0,
    interpolation: str = "bilinear",
    auto_augment: str | None = None,
    random_erasing: float = 0.0,
    in_channels: int | None = None,
) -> v2.Compose:
    """Training augmentation for classification.

    Args:
        image_size: output side in pixels.
        normalization: dataset name in ``NORMALIZATION_STATS`` or ``[mean, std]``.
        crop: ``random_crop`` (pad then crop, CIFAR style), ``random_resized_crop`` (ImageNet
            style) or ``resize`` (no random crop).
        crop_padding: padding for ``random_crop``.
        min_scale: smallest area fraction for ``random_resized_crop``.
        hflip: random horizontal flip.
        color_jitter: strength of brightness/contrast/saturation jitter (0 = off).
        interpolation: ``bilinear``, ``bicubic`` or ``nearest`` for resizing.
        auto_augment: an automatic augmentation policy after crop and flip (see
            :func:`auto_augment_transform`), or None.
        random_erasing: probability of erasing a random rectangle with per-pixel noise after
            normalisation (Zhong et al., 2020; timm's ``--reprob``); 0 = off.
        in_channels: channels of the images (None: as many as the stats have).
    """
    mode = _interpolation(interpolation)
    steps: list[v2.Transform] = [v2.ToImage()]
    if crop == "random_crop":
        steps += [v2.Resize(image_size, interpolation=mode, antialias=True),
                  v2.RandomCrop(image_size, padding=crop_padding)]
    elif crop == "random_resized_crop":
        steps.append(v2.RandomResizedCrop(image_size, scale=(min_scale, 1.0), interpolation=mode, antialias=True))
    elif crop == "resize":
        steps += [v2.Resize(image_size, interpolation=mode, antialias=True), v2.CenterCrop(image_size)]
    else:
        raise ValueError(f"unknown crop {crop!r}; choose random_crop, random_resized_crop or resize")
    if hflip:
        steps.append(v2.RandomHorizontalFlip())
    if auto_augment:
        steps.append(auto_augment_transform(auto_augment, image_size, resolve_normalization(normalization)[0],
                                            interpolation))
    if color_jitter > 0:
        steps.append(v2.ColorJitter(color_jitter, color_jitter, color_jitter))
    steps += to_float_normalized(normalization, in_channels)
    if random_erasing > 0:
        steps.append(v2.RandomErasing(p=random_erasing, value="random"))
    return v2.Compose(steps)


def classification_eval_transform(
    image_size: int = 32,
    normalization: str | Sequence[Sequence[float]] = "imagenet",
    resize_ratio: float = 1.0,
    interpolation: str = "bilinear",
    in_channels: int | None = None,
) -> v2.Compose:
    """Evaluation transform: resize the short side to ``image_size / resize_ratio``, centre crop
    (``resize_ratio`` is timm's ``crop_pct``)."""
    resize_to = round(image_size / _resolved(resize_ratio, "resize_ratio"))
    return v2.Compose(
        [
            v2.ToImage(),
            v2.Resize(resize_to, interpolation=_interpolation(interpolation), antialias=True),
            v2.CenterCrop(image_size),
            *to_float_normalized(normalization, in_channels),
        ]
    )
