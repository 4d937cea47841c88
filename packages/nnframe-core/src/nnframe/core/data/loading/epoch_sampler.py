"""A random sampler whose order depends only on (seed, epoch), so a resumed run replays it."""

from __future__ import annotations

from collections.abc import Iterator, Sized

import torch
from torch.utils.data import Sampler


class EpochSeededRandomSampler(Sampler[int]):
    """Shuffles with ``torch.Generator().manual_seed(seed + epoch)``.

    Lightning calls ``set_epoch`` at the start of every epoch (as for ``DistributedSampler``),
    so epoch ``k`` sees the same order in an uninterrupted run and in one resumed at epoch ``k``.

    Args:
        data_source: the dataset (only its length is used).
        seed: base seed of the shuffle.
        epoch: the first epoch; a resumed run's loader is built (and its first batch fetched)
            before Lightning calls ``set_epoch``, so it must start at the resumed epoch.
        loader_generator: the ``DataLoader``'s own generator, reseeded with (seed, epoch) too:
            the loader draws its worker base seed from it, so dataloader workers get the same
            random streams in a resumed run as in an uninterrupted one.
    """

    def __init__(self, data_source: Sized, seed: int = 0, epoch: int = 0,
                 loader_generator: torch.Generator | None = None) -> None:
        self.data_source = data_source
        self.seed = seed
        self.loader_generator = loader_generator
        self.set_epoch(epoch)

    def set_epoch(self, epoch: int) -> None:
        """Select the permutation (and worker seeds) of ``epoch``."""
        self.epoch = epoch
        if self.loader_generator is not None:
            # A different stream from the permutation's (odd offset) so the two are not correlated.
            self.loader_generator.manual_seed((self.seed + epoch) * 2 + 1)

    def __len__(self) -> int:
        return len(self.data_source)

    def __iter__(self) -> Iterator[int]:
        generator = torch.Generator().manual_seed(self.seed + self.epoch)
        return iter(torch.randperm(len(self.data_source), generator=generator).tolist())
