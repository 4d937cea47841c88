"""Training loaders resumed mid-epoch from their ``state_dict`` hand out exactly the batches an
uninterrupted epoch hands out from there on: same images, order and random augmentations, for
the on-device loader, the DataLoader path (with and without workers, shuffled or class-balanced)
and a DDP process's shard."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest
import torch
from lightning.fabric.utilities.distributed import DistributedSamplerWrapper
from torch.utils.data import Dataset

from nnframe.core.data import DeviceBatchLoader, ResumableDataLoader
from nnframe.core.data.loading.class_balance import ClassBalancedSampler
from nnframe.core.data.loading.epoch_sampler import EpochSeededRandomSampler
from nnframe.core.data.on_device.device_augment import BatchAugmentation


def _same(a: list[Any], b: list[Any]) -> bool:
    """Batches equal tensor for tensor."""
    flat = [(x, y) for batch_a, batch_b in zip(a, b, strict=True) for x, y in zip(batch_a, batch_b, strict=True)]
    return len(a) == len(b) and all(torch.equal(x, y) for x, y in flat)


# --- on the device ----------------------------------------------------------------------------

def _device_loader(rank: int = 0, world_size: int = 1) -> DeviceBatchLoader:
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (100, 3, 8, 8), dtype=torch.uint8, generator=generator)
    labels = torch.arange(100) % 5
    augmentation = BatchAugmentation(crop_padding=2, hflip=0.5, mean=(0.5,) * 3, std=(0.25,) * 3)
    return DeviceBatchLoader(images, labels, batch_size=16, augmentation=augmentation, seed=3, rank=rank,
                             world_size=world_size)


@pytest.mark.parametrize(("rank", "world_size"), [(0, 1), (1, 2)])
@pytest.mark.parametrize("stop", [1, 3])
def test_device_loader_resumes_mid_epoch_with_the_same_batches_and_draws(rank: int, world_size: int,
                                                                         stop: int) -> None:
    loader = _device_loader(rank, world_size)
    loader.set_epoch(2)
    full = list(loader)

    stopped = _device_loader(rank, world_size)
    stopped.set_epoch(2)
    batches = iter(stopped)
    for _ in range(stop):
        next(batches)
    state = stopped.state_dict()
    assert state == {"epoch": 2, "batches": stop}

    resumed = _device_loader(rank, world_size)  # a new process: built at the epoch, then given the state
    resumed.set_epoch(2)
    resumed.load_state_dict(state)
    rest = list(resumed)
    assert _same(rest, full[stop:])
    assert resumed.state_dict() == {"epoch": 2, "batches": len(full)}
    # The position is used once: the next epoch starts at its first batch.
    resumed.set_epoch(3)
    loader.set_epoch(3)
    assert _same(list(resumed), list(loader))


def test_device_loader_ignores_a_position_in_another_epoch() -> None:
    loader, reference = _device_loader(), _device_loader()
    loader.load_state_dict({"epoch": 0, "batches": 7})  # the end of epoch 0
    loader.set_epoch(1)
    reference.set_epoch(1)
    assert _same(list(loader), list(reference))


def test_device_loader_draws_differ_between_batches_epochs_and_ranks() -> None:
    # Seeding each batch from (seed, epoch, rank, batch) must not repeat one batch's crops in the next.
    images = torch.full((32, 3, 8, 8), 128, dtype=torch.uint8)
    images[:, :, 2:6, 2:6] = 255
    augmentation = BatchAugmentation(crop_padding=2, hflip=0.0, mean=(0.5,) * 3, std=(0.25,) * 3)
    loader = DeviceBatchLoader(images, torch.zeros(32, dtype=torch.long), 16, augmentation, shuffle=False, seed=1)
    first, second = (images for images, _ in loader)
    assert not torch.equal(first, second)


# --- the DataLoader path ------------------------------------------------------------------------

class _RandomlyAugmented(Dataset):
    """Index plus a draw from each global generator: the transforms of a real dataset draw from them."""

    def __len__(self) -> int:
        return 90

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        noise = torch.rand(2).tolist() + [random.random(), float(np.random.rand())]
        return torch.tensor([float(index), *noise]), index % 3


def _data_loader(kind: str, num_workers: int, rank: int | None = None) -> ResumableDataLoader:
    dataset = _RandomlyAugmented()
    generator = torch.Generator()
    sampler: Any
    if kind == "balanced":
        sampler = ClassBalancedSampler([i % 3 for i in range(len(dataset))], seed=5, epoch=1,
                                       loader_generator=generator)
    else:
        sampler = EpochSeededRandomSampler(dataset, seed=5, epoch=1, loader_generator=generator)
    if rank is not None:  # what Lightning puts in the loader of each DDP process
        sampler = DistributedSamplerWrapper(sampler, num_replicas=2, rank=rank, shuffle=False)
    loader = ResumableDataLoader(dataset, batch_size=8, sampler=sampler, generator=generator,
                                 num_workers=num_workers)
    loader.sampler.set_epoch(1)  # as Lightning does at the start of every epoch
    return loader


def _seed_globals(seed: int) -> None:
    torch.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed)


@pytest.mark.parametrize(("kind", "num_workers", "rank"), [
    ("shuffled", 0, None), ("balanced", 0, None), ("shuffled", 2, None), ("shuffled", 0, 1), ("balanced", 2, 0)])
def test_data_loader_resumes_mid_epoch_with_the_same_batches_and_draws(kind: str, num_workers: int,
                                                                       rank: int | None) -> None:
    stop = 5
    _seed_globals(0)
    full = list(_data_loader(kind, num_workers, rank))

    _seed_globals(0)
    stopped = _data_loader(kind, num_workers, rank)
    batches = iter(stopped)
    for _ in range(stop):
        next(batches)
    state = stopped.state_dict()
    assert state == {"epoch": 1, "batches": stop}
    # The global generators' state at the stop: the checkpoint holds it (RNGStateCallback).
    globals_at_stop = torch.get_rng_state(), random.getstate(), np.random.get_state()
    del batches

    _seed_globals(123)  # a new process
    resumed = _data_loader(kind, num_workers, rank)
    resumed.load_state_dict(state)
    iterator = iter(resumed)  # Lightning's iter() comes before the states are restored
    torch.set_rng_state(globals_at_stop[0])
    random.setstate(globals_at_stop[1])
    np.random.set_state(globals_at_stop[2])
    rest = list(iterator)

    assert [int(images[0, 0]) for images, _ in rest] == [int(images[0, 0]) for images, _ in full[stop:]]
    assert _same(rest, full[stop:])  # the random draws too
    assert resumed.state_dict() == {"epoch": 1, "batches": len(full)}


def test_data_loader_starts_the_next_epoch_at_its_first_batch() -> None:
    loader = _data_loader("shuffled", 0)
    loader.load_state_dict({"epoch": 1, "batches": len(loader)})  # saved at the end of epoch 1
    assert list(loader) == []
    loader.sampler.set_epoch(2)
    reference = _data_loader("shuffled", 0)
    reference.sampler.set_epoch(2)
    _seed_globals(0)
    epoch_2 = list(loader)
    _seed_globals(0)
    assert _same(epoch_2, list(reference)) and len(epoch_2) == len(loader)


@pytest.mark.parametrize("num_workers", [0, 2])
def test_a_replaying_loader_repeats_its_draws_every_epoch_and_leaves_the_global_generators_alone(
        num_workers: int) -> None:
    """``replay_seed`` (``trainer.overfit_batches``): the same batches every iteration, whatever the
    training draws from the global generators in between; a resumed iteration goes on with them."""
    def loader() -> ResumableDataLoader:
        return ResumableDataLoader(_RandomlyAugmented(), batch_size=8, num_workers=num_workers,
                                   generator=torch.Generator(), replay_seed=5)

    replaying = loader()
    _seed_globals(0)
    first = list(replaying)
    training_draws = torch.rand(3)  # what training draws after the epoch: untouched by the fetches
    _seed_globals(0)
    assert torch.equal(training_draws, torch.rand(3))
    _seed_globals(1)  # the training's draws moved the global generators: no effect
    second = list(replaying)
    assert _same(first, second) and len(first) == len(replaying)
    assert not _same(first, list(ResumableDataLoader(_RandomlyAugmented(), batch_size=8, replay_seed=6)))

    resumed = loader()
    resumed.load_state_dict({"epoch": 0, "batches": 4})
    assert _same(list(resumed), first[4:])
