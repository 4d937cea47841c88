"""Device-resident synthetic batches shaped like the task's real ones."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import torch


def map_tensors(batch: Any, fn: Any) -> Any:
    """Apply ``fn`` to every tensor of a (nested) tuple / list / dict batch."""
    if isinstance(batch, torch.Tensor):
        return fn(batch)
    if isinstance(batch, tuple | list):
        return type(batch)(map_tensors(item, fn) for item in batch)
    if isinstance(batch, dict):
        return {key: map_tensors(value, fn) for key, value in batch.items()}
    return batch


def to_channels_last(batch: Any) -> Any:
    """Images (4-d floating tensors) of a batch in ``channels_last`` memory format."""
    return map_tensors(batch, lambda t: t.contiguous(memory_format=torch.channels_last)
                       if t.ndim == 4 and t.is_floating_point() else t)


def synthetic_batch(example: Any, batch_size: int, device: torch.device, generator_seed: int = 0) -> Any:
    """A batch with the structure of ``example`` and ``batch_size`` samples, on ``device``.

    Floating tensors (images) become standard-normal noise, like normalised images; integer
    tensors (labels, masks) are tiled from the example, so losses see valid targets.
    """
    generator = torch.Generator().manual_seed(generator_seed)

    def make(tensor: torch.Tensor) -> torch.Tensor:
        if tensor.ndim == 0:
            return tensor.to(device)
        reps = math.ceil(batch_size / tensor.shape[0])
        tiled = tensor.repeat(reps, *([1] * (tensor.ndim - 1)))[:batch_size]
        if tiled.is_floating_point():
            tiled = torch.randn(tiled.shape, generator=generator, dtype=tiled.dtype)
        return tiled.to(device)

    return map_tensors(example, make)


def first_images(batch: Any) -> torch.Tensor:
    """The first 4-d tensor of a batch: the images a model's ``forward`` takes."""
    found: list[torch.Tensor] = []
    map_tensors(batch, lambda t: found.append(t) if t.ndim == 4 and not found else None)
    if not found:
        raise ValueError("the batch holds no 4-d image tensor")
    return found[0]


class RepeatedBatch:
    """An iterable yielding the same (device-resident) batch ``length`` times: a data source
    that costs nothing, for the model-only figure."""

    def __init__(self, batch: Any, length: int) -> None:
        self.batch = batch
        self.length = length

    def __len__(self) -> int:
        return self.length

    def __iter__(self) -> Iterator[Any]:
        for _ in range(self.length):
            yield self.batch
