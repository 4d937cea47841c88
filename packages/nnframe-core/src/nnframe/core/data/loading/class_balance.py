"""Class balancing for imbalanced training data: a balanced sampler, or loss weights."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch

from nnframe.core.data.loading.epoch_sampler import EpochSeededRandomSampler
from nnframe.core.errors import ConfigError, DatasetError

#: Values of ``data.class_balance``.
CLASS_BALANCE_MODES = ("sampler", "loss_weights")


def check_class_balance(mode: str | None) -> None:
    """Raise :class:`ConfigError` unless ``mode`` is None or one of :data:`CLASS_BALANCE_MODES`."""
    if mode is not None and mode not in CLASS_BALANCE_MODES:
        raise ConfigError(f"data.class_balance={mode!r}: choose sampler (draw every class equally often), "
                          "loss_weights (weight the training loss by inverse class frequency) or null")


def class_counts(targets: Sequence[int] | torch.Tensor, num_classes: int) -> torch.Tensor:
    """Images per class. Shape: (num_classes,) int64."""
    return torch.bincount(torch.as_tensor(targets, dtype=torch.long).reshape(-1), minlength=num_classes)


def inverse_frequency_weights(counts: torch.Tensor) -> torch.Tensor:
    """``N / (C * count)`` per class (scikit-learn's ``balanced``: 1 everywhere for balanced data);
    a class without images gets 0. Shape: (C,) float32."""
    counts = counts.float()
    present = counts > 0
    weights = torch.zeros_like(counts)
    weights[present] = counts.sum() / (present.sum() * counts[present])
    return weights


class ClassBalancedSampler(EpochSeededRandomSampler):
    """Draws ``len(targets)`` training indices per epoch with replacement, each with probability
    proportional to ``1 / count(its class)``, so every class is seen about equally often.

    The draw depends only on ``(seed, epoch)`` like :class:`EpochSeededRandomSampler`, so a
    resumed run replays it.

    Args:
        targets: the class of every training sample.
        seed, epoch, loader_generator: see :class:`EpochSeededRandomSampler`.

    Raises:
        DatasetError: there are no targets.
    """

    def __init__(self, targets: Sequence[int] | torch.Tensor, seed: int = 0, epoch: int = 0,
                 loader_generator: torch.Generator | None = None) -> None:
        labels = torch.as_tensor(targets, dtype=torch.long).reshape(-1)
        if labels.numel() == 0:
            raise DatasetError("data.class_balance=sampler: the training split has no labels")
        counts = class_counts(labels, int(labels.max()) + 1).float()
        self.sample_weights = (1.0 / counts)[labels].double()
        super().__init__(range(len(labels)), seed, epoch, loader_generator)

    def __iter__(self) -> Iterator[int]:
        generator = torch.Generator().manual_seed(self.seed + self.epoch)
        return iter(torch.multinomial(self.sample_weights, len(self.sample_weights), replacement=True,
                                      generator=generator).tolist())
