"""A split read from tar shards as a stream: shards assigned to processes and dataloader workers,
shuffled per epoch from ``(seed, epoch)``, samples decoded as the image-file datasets decode them."""

from __future__ import annotations

import io
import random
from collections.abc import Callable, Iterator
from typing import Any

import webdataset as wds
from torch.utils.data import IterableDataset, get_worker_info

from nnframe.core.data.base.image_files import IMAGE_EXTENSIONS, load_image
from nnframe.core.data.shards.shard_index import SplitShards
from nnframe.core.errors import DatasetError

#: Field names of a sample's image in a shard: its file's extension (the file stored as it was).
IMAGE_FIELDS = tuple(extension.lstrip(".") for extension in IMAGE_EXTENSIONS)


def rank_shards(counts: list[int], seed: int, epoch: int, rank: int, world: int, shuffle: bool) -> list[int]:
    """The shards process ``rank`` of ``world`` reads in ``epoch``: the shard order permuted from
    ``(seed, epoch)`` (when ``shuffle``), then every ``world``-th shard from ``rank``."""
    order = list(range(len(counts)))
    if shuffle:
        random.Random(f"{seed}:{epoch}").shuffle(order)
    return order[rank::world]


def samples_per_rank(counts: list[int], world: int) -> int:
    """Samples every process reads per epoch: the fewest any process can get (its share of shards
    being the smallest ones), so that all processes take the same number of steps, as DDP needs.
    With one process, every sample."""
    if world == 1:
        return sum(counts)
    return sum(sorted(counts)[: len(counts) // world])


class ShardStream(IterableDataset):
    """One split of a sharded dataset, read with the WebDataset library.

    Training splits (``shuffle=True``): each epoch permutes the shards from ``(seed, epoch)``, gives
    each process every ``world``-th shard of that order (so processes never read the same sample)
    and each dataloader worker every ``num_workers``-th of those, and shuffles samples in a
    buffer of ``buffer`` samples seeded from ``(seed, epoch, rank, worker)``: the same seed gives
    the same order. Every process stops after :func:`samples_per_rank` samples. Evaluation splits
    are read whole, in order, by every process.

    Args:
        shards: the split's shard URLs/paths and sample counts.
        class_names: index = label.
        transform: called as ``transform(image, target)``.
        image_mode: PIL mode images are converted to.
        shuffle: shuffle shards and samples (the training split).
        seed: seed of the shuffle.
        buffer: samples in the shuffle buffer.
    """

    def __init__(self, shards: SplitShards, class_names: list[str], transform: Callable[..., Any] | None = None,
                 image_mode: str = "RGB", shuffle: bool = False, seed: int = 0, buffer: int = 1000) -> None:
        self.shards = shards
        self.class_names = list(class_names)
        self.transform = transform
        self.image_mode = image_mode
        self.shuffle = shuffle
        self.seed = seed
        self.buffer = buffer
        self.epoch = 0
        self.rank, self.world = 0, 1
        self.ignored_files: list[tuple[str, str]] = []

    def set_processes(self, rank: int, world: int) -> None:
        """Read as process ``rank`` of ``world`` (training split only; evaluation reads everything).

        Raises:
            DatasetError: fewer shards than processes, with the fix.
        """
        if self.shuffle and world > len(self.shards.urls):
            raise DatasetError(
                f"{len(self.shards.urls)} training shard(s) for {world} processes: each process reads whole shards, "
                f"so some would have none. Write at least {world} shards (`nnframe <task> shard` with a smaller "
                "shard.samples_per_shard), or train on fewer processes")
        self.rank, self.world = (rank, world) if self.shuffle else (0, 1)

    def __len__(self) -> int:
        return samples_per_rank(self.shards.counts, self.world)

    @property
    def targets(self) -> None:
        return None

    def label_counts(self) -> list[int] | None:
        """Samples per class, as the shard writer counted them."""
        return None if self.shards.class_counts is None else list(self.shards.class_counts)

    def _worker_plan(self) -> tuple[list[str], int, str]:
        """This worker's shard URLs, how many samples it yields, and its shuffle seed."""
        info = get_worker_info()
        worker, workers = (info.id, info.num_workers) if info is not None else (0, 1)
        mine = rank_shards(self.shards.counts, self.seed, self.epoch, self.rank, self.world, self.shuffle)
        per_worker = [mine[w::workers] for w in range(workers)]
        natural = [sum(self.shards.counts[i] for i in shards) for shards in per_worker]
        excess = sum(natural) - len(self)  # cut from the first workers, so the process yields len(self)
        quotas = []
        for count in natural:
            cut = min(count, excess)
            quotas.append(count - cut)
            excess -= cut
        urls = [self.shards.urls[i] for i in per_worker[worker]]
        return urls, quotas[worker], f"{self.seed}:{self.epoch}:{self.rank}:{worker}"

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        urls, quota, seed = self._worker_plan()
        samples: Any = wds.tarfile_to_samples()(iter([{"url": url} for url in urls]))
        if self.shuffle:
            samples = wds.shuffle(self.buffer, initial=self.buffer, rng=random.Random(seed))(samples)
        for count, sample in enumerate(samples):
            if count >= quota:
                return
            yield self._decode(sample)

    def _decode(self, sample: dict[str, Any]) -> tuple[Any, Any]:
        field = next((f for f in IMAGE_FIELDS if f in sample), None)
        where = f"sample {sample.get('__key__')} of {sample.get('__url__')}"
        if field is None:
            raise DatasetError(f"{where} has no image (fields {sorted(k for k in sample if not k.startswith('__'))}; "
                               f"expected one of {', '.join(IMAGE_FIELDS)}): write the shards with `nnframe <task> shard`")
        try:
            image = load_image(io.BytesIO(sample[field]), self.image_mode)
        except DatasetError as error:
            raise DatasetError(f"cannot read the image of {where}: {error.__cause__}") from error
        target = int(sample["cls"]) if "cls" in sample else -1
        if self.transform is not None:
            image, target = self.transform(image, target)
        return image, target
