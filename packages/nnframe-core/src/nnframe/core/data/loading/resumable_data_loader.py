"""A ``DataLoader`` that a run stopped mid-epoch resumes at the batch after its last one."""

from __future__ import annotations

import contextlib
import itertools
import random
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader

from nnframe.core.data.loading.fetch_timing import TimedFetches


@contextlib.contextmanager
def _global_random_states_kept() -> Iterator[None]:
    """Put Python's, NumPy's and torch's (CPU) global generators back as they were on exit."""
    python, numpy = random.getstate(), np.random.get_state()
    with torch.random.fork_rng(devices=[]):
        yield
    random.setstate(python)
    np.random.set_state(numpy)


class _ReplayedDraws:
    """The random states (Python's, NumPy's, torch's CPU generator) of one iteration's fetches,
    started from a seed and swapped in around each fetch: the transforms draw the same numbers in
    every iteration, whatever the training between two fetches draws from the global generators."""

    def __init__(self, seed: int) -> None:
        with _global_random_states_kept():
            random.seed(seed)
            np.random.seed(seed % 2**32)
            torch.random.default_generator.manual_seed(seed)  # the CPU generator only (the transforms')
            self._states = (random.getstate(), np.random.get_state(), torch.random.get_rng_state())

    @contextlib.contextmanager
    def swapped_in(self) -> Iterator[None]:
        """Draw from these states inside the block; the global ones are put back after it."""
        with _global_random_states_kept():
            python, numpy, generator = self._states
            random.setstate(python)
            np.random.set_state(numpy)
            torch.random.set_rng_state(generator)
            try:
                yield
            finally:
                self._states = (random.getstate(), np.random.get_state(), torch.random.get_rng_state())


class ResumableDataLoader(DataLoader):
    """``torch.utils.data.DataLoader`` with ``state_dict`` / ``load_state_dict``: Lightning's fit
    loop saves the state of a train loader that has them in every checkpoint, and gives it back
    before it iterates the loader of a run resumed mid-epoch.

    The state is the epoch (its sampler's, which Lightning sets through ``set_epoch``) and the
    batches handed out in it, which at a checkpoint are the batches trained (Lightning fetches a
    batch only when it trains on it, as the loader has a length). The resumed iteration fetches
    the batches before that position and drops them, and hands out the rest: the same batches,
    in the same order, as the uninterrupted run. Fetching them (rather than skipping their
    indices) keeps the random augmentations exact too: dataloader workers draw from their own
    generators (seeded per epoch, see
    :class:`~nnframe.core.data.loading.epoch_sampler.EpochSeededRandomSampler`), which then reach the
    resumed batch in the state the uninterrupted run's were in; without workers the transforms
    draw from the global generators, which are put back as they were after the dropped batches.
    The price is loading those batches once more when a run resumes mid-epoch. (With
    ``persistent_workers`` the workers' generators also carry over from epoch to epoch, which a
    resumed run cannot repeat.)

    Nothing is fetched before the first batch is asked for, so the epoch and the position are
    those Lightning has set by then. Under DDP Lightning rebuilds the loader with its distributed
    sampler (every process saves the same position: they step in lockstep).

    With ``replay_seed`` every iteration makes the same random draws (``trainer.overfit_batches``,
    which ``debug=overfit`` sets: the same batches every epoch, augmentation included): without
    workers the fetches draw from random states started from that seed in every iteration (and
    swapped in around each fetch, so the training's own draws do not move them); with workers the
    loader's generator, which seeds the workers, is started from it too (workers that persist
    between epochs carry their streams over, so the datamodule turns them off for it).

    Args:
        *args, **kwargs: ``DataLoader``'s.
        replay_seed: repeat the draws of the first iteration from this seed (None: fresh draws).
    """

    def __init__(self, *args: Any, replay_seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.replay_seed = replay_seed
        self._position = (self._epoch(), 0)  # (epoch, batches handed out in it)
        self._resume_at: tuple[int, int] | None = None  # from load_state_dict, for the next iteration

    def _epoch(self) -> int:
        return int(getattr(self.sampler, "epoch", 0))

    def state_dict(self) -> dict[str, int]:
        """``{"epoch", "batches"}``: the epoch and the batches handed out in it."""
        epoch, batches = self._position
        return {"epoch": epoch, "batches": batches}

    def load_state_dict(self, state: dict[str, int]) -> None:
        """Start the next iteration of epoch ``state["epoch"]`` at batch ``state["batches"]``."""
        self._resume_at = (int(state["epoch"]), int(state["batches"]))

    def __iter__(self) -> Iterator[Any]:
        return self._iterate()

    def _iterate(self) -> Iterator[Any]:
        epoch, first = self._epoch(), 0
        if self._resume_at is not None and self._resume_at[0] == epoch:
            first = self._resume_at[1]
        self._resume_at = None
        self._position = (epoch, first)
        if first >= len(self):
            return  # the epoch was over: nothing to load
        if self.replay_seed is not None:
            yield from self._replay(epoch, first)
            return
        iterator = super().__iter__()
        if first:
            with _global_random_states_kept():  # the dropped batches' transforms draw from them (no workers)
                for _ in range(first):
                    next(iterator)
        for batches, batch in enumerate(iterator, start=first + 1):
            self._position = (epoch, batches)
            yield batch

    def _replay(self, epoch: int, first: int) -> Iterator[Any]:
        """The iteration with the draws of every other one (``replay_seed``), from batch ``first``."""
        draws = _ReplayedDraws(self.replay_seed)  # type: ignore[arg-type]
        if self.generator is not None:  # the workers' base seed is drawn from it
            self.generator.manual_seed(self.replay_seed)  # type: ignore[arg-type]
        with draws.swapped_in():  # without a generator the base seed comes from torch's global one
            iterator = super().__iter__()
        end = object()
        for batches in itertools.count(1):
            with draws.swapped_in():
                batch = next(iterator, end)
            if batch is end:
                return
            if batches > first:  # the batches before a resumed position are fetched and dropped
                self._position = (epoch, batches)
                yield batch


class TimedResumableDataLoader(TimedFetches, ResumableDataLoader):
    """The datamodule's training loader: resumable mid-epoch, its fetches timed (see
    :class:`~nnframe.core.data.loading.fetch_timing.TimedFetches`). Arguments are ``DataLoader``'s."""
