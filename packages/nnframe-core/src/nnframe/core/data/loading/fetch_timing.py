"""Loaders that add up the time their iterators spend producing batches ("waiting for data").

The time is taken around each ``__next__`` of the loader's iterator: reading, decoding,
transforming and collating (or, for the on-device loader, the batch's augmentation), and for a
loader with workers the wait for the next batch they prepared. Nothing else that runs between
two training steps (another callback's figure, a logger writing) counts. The datamodule's
training loaders are timed (:class:`TimedDataLoader`, the on-device loader); the
:class:`~nnframe.core.callbacks.EpochTimingCallback` reads :attr:`TimedFetches.fetch_seconds`
from the trainer's training loader, so a user's datamodule gets the same figure by returning
one of these.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from torch.utils.data import DataLoader


class _TimedIterator:
    """Delegates to ``iterator``; adds the time of each ``__next__`` to ``owner.fetch_seconds``."""

    __slots__ = ("_iterator", "_owner")

    def __init__(self, iterator: Iterator[Any], owner: TimedFetches) -> None:
        self._iterator = iterator
        self._owner = owner

    def __iter__(self) -> _TimedIterator:
        return self

    def __next__(self) -> Any:
        start = time.perf_counter()
        try:
            return next(self._iterator)
        finally:  # the last, empty fetch (StopIteration) is waiting too
            self._owner.fetch_seconds += time.perf_counter() - start


class TimedFetches:
    """Mixin for a loader class (listed before the loader): its iterators add the seconds each
    batch took to arrive to :attr:`fetch_seconds`, a running total over the loader's life."""

    #: Seconds spent in this loader's iterators' ``__next__`` so far (all epochs).
    fetch_seconds: float = 0.0

    def __iter__(self) -> Iterator[Any]:
        return _TimedIterator(super().__iter__(), self)  # type: ignore[misc]


class TimedDataLoader(TimedFetches, DataLoader):
    """A :class:`torch.utils.data.DataLoader` whose batch fetches are timed (same arguments).

    Still a ``DataLoader``, so Lightning re-creates it with a distributed sampler under DDP as
    it does the plain one.
    """
