"""Per-dataset normalisation statistics and their inverse for display."""

from __future__ import annotations

from collections.abc import Sequence

import torch

# (mean, std) per channel, in [0, 1] units.
NORMALIZATION_STATS: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "imagenet": ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    "cifar10": ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
    "cifar100": ((0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762)),
    "mnist": ((0.1307,), (0.3081,)),
    "fashion_mnist": ((0.2860,), (0.3530,)),
    "stl10": ((0.4467, 0.4398, 0.4066), (0.2603, 0.2566, 0.2713)),
    "shapes": ((0.5, 0.5, 0.5), (0.25, 0.25, 0.25)),
}


#: Weights of R, G and B in a grey value (ITU-R 601-2 luma, PIL's ``convert("L")``).
LUMA_WEIGHTS = (0.299, 0.587, 0.114)


def stats_for_channels(mean: Sequence[float], std: Sequence[float],
                       channels: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel stats for images of ``channels`` channels.

    Stats of RGB data applied to grey images become one value each: the luma-weighted mean of
    the three means (the mean of the grey image they convert to), and the same weighting of the
    three stds (exact when the channels move together, as they mostly do in natural images).
    One-value stats applied to RGB images are repeated.

    Raises:
        ValueError: another combination (say 4 values for 3 channels).
    """
    mean, std = tuple(float(m) for m in mean), tuple(float(s) for s in std)
    if len(mean) == channels:
        return mean, std
    if len(mean) == 3 and channels == 1:
        def grey(values: tuple[float, ...]) -> tuple[float, ...]:
            return (round(sum(w * v for w, v in zip(LUMA_WEIGHTS, values, strict=True)), 4),)

        return grey(mean), grey(std)
    if len(mean) == 1:
        return mean * channels, std * channels
    raise ValueError(f"normalization has {len(mean)} values per statistic, the images {channels} channels")


def resolve_normalization(
    normalization: str | Sequence[Sequence[float]],
    channels: int | None = None,
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Return ``(mean, std)`` for a dataset name or an explicit ``[mean, std]`` pair, for images
    of ``channels`` channels when given (see :func:`stats_for_channels`)."""
    if normalization == "auto":
        raise ValueError("normalization=auto follows the model and is resolved before the data is built: build it "
                         "with nnframe.core.training.instantiate.build_datamodule(cfg), or call "
                         "nnframe.core.training.auto_preprocessing.resolve_auto_preprocessing(cfg) first, or set "
                         "data.normalization to a name or [[mean...], [std...]]")
    if isinstance(normalization, str):
        if normalization not in NORMALIZATION_STATS:
            raise ValueError(
                f"unknown normalization {normalization!r}; choose one of {sorted(NORMALIZATION_STATS)} "
                "or give [[mean...], [std...]]"
            )
        mean, std = NORMALIZATION_STATS[normalization]
    else:
        mean, std = normalization
        mean, std = tuple(float(m) for m in mean), tuple(float(s) for s in std)
    return (mean, std) if channels is None else stats_for_channels(mean, std, channels)


def denormalize(images: torch.Tensor, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """Undo ``Normalize`` for display, clamped to [0, 1]; stats of another channel count are
    adapted (:func:`stats_for_channels`).

    Shape: (batch, channels, height, width) or (channels, height, width).
    """
    channels = images.shape[-3]
    if len(mean) != channels:
        mean, std = stats_for_channels(mean, std, channels)
    shape = (-1, 1, 1)
    mean_t = torch.as_tensor(mean, dtype=images.dtype, device=images.device).view(shape)
    std_t = torch.as_tensor(std, dtype=images.dtype, device=images.device).view(shape)
    return (images * std_t + mean_t).clamp(0, 1)
