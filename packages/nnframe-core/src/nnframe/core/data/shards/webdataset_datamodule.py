"""Datamodule for a dataset stored as tar shards (``data=webdataset``): local files or URLs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from torch.utils.data import DataLoader, default_collate

from nnframe.core.data.base.vision_datamodule import VisionDataModule
from nnframe.core.data.checks.data_report import DataReport
from nnframe.core.data.loading.resumable_data_loader import TimedResumableDataLoader
from nnframe.core.data.shards.shard_index import ShardIndex, read_index
from nnframe.core.data.shards.shard_stream import ShardStream
from nnframe.core.errors import ConfigError, DatasetError


class ShardLoader(TimedResumableDataLoader):
    """The training loader of a :class:`ShardStream`: its epoch is the trainer's, set on the
    stream before each iteration hands it to the workers (there is no sampler for Lightning to
    call ``set_epoch`` on); resumable mid-epoch like the other training loaders."""

    def __init__(self, *args: Any, epoch: Callable[[], int], **kwargs: Any) -> None:
        self._epoch_of_trainer = epoch
        super().__init__(*args, **kwargs)

    def _epoch(self) -> int:
        return self._epoch_of_trainer()

    def __iter__(self) -> Iterator[Any]:
        self.dataset.epoch = self._epoch()  # type: ignore[attr-defined]
        return super().__iter__()


class WebDatasetDataModule(VisionDataModule):
    """Train, val and test splits read from tar shards with the WebDataset library.

    ``shards`` is the folder or ``http(s)://`` URL prefix holding
    ``shards.json`` (see :mod:`~nnframe.core.data.shards.shard_index`), which ``nnframe <task>
    shard`` writes beside the shards. The pre-flight check ran when the shards were written; here
    the index gives the summary its class counts and image sizes. Without a test split, test reads
    val. ``persistent_workers`` is off: the workers get each epoch's shuffle when it starts.

    Args:
        shards: folder or URL of ``shards.json``.
        shuffle_buffer: samples in the training shuffle buffer (more: closer to a full shuffle,
            more memory).
        min_classes: fewer classes is an error (2 for classification, 1 for SSL).
        **kwargs: :class:`VisionDataModule` arguments.
    """

    def __init__(self, shards: str, shuffle_buffer: int = 1000, min_classes: int = 2, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if self.on_device:
            raise ConfigError("data=webdataset streams its samples from the shards: data.on_device=true needs the "
                              "dataset in memory; set data.on_device=false")
        if self.class_balance == "sampler":
            raise ConfigError("data=webdataset has no sampler to draw classes equally often: set "
                              "data.class_balance=loss_weights or null")
        self.shards = str(shards)
        self.shuffle_buffer = shuffle_buffer
        self.min_classes = min_classes
        self.persistent_workers = False
        self._index: ShardIndex | None = None

    @property
    def index(self) -> ShardIndex:
        """The shard index (read once)."""
        if self._index is None:
            self._index = read_index(self.shards)
            if len(self._index.classes) < self.min_classes:
                raise DatasetError(f"{self.shards} has {len(self._index.classes)} class(es), fewer than "
                                   f"{self.min_classes}: write the shards from a folder with more classes")
        return self._index

    def prepare_data(self) -> None:
        _ = self.index

    def build_dataset(self, split: str, transform: Callable[..., Any] | None) -> ShardStream:
        splits = self.index.splits
        if split == "test" and "test" not in splits:
            split = "val"
        if split not in splits:
            raise DatasetError(f"{self.shards} has no {split} shards (it has {', '.join(splits)}): write the shards "
                               "again with `nnframe <task> shard` from data that has that split")
        return ShardStream(splits[split], self.index.classes, transform, "L" if self.in_channels == 1 else "RGB",
                           shuffle=split == "train", seed=self.seed, buffer=self.shuffle_buffer)

    def check_data(self, report: DataReport, file_infos: dict[Any, Any], splits: Sequence[str]) -> None:
        # The files were checked when the shards were written; their index keeps what the summary shows.
        for split in splits:
            shards = self.datasets[split].shards  # type: ignore[attr-defined]
            report.splits[split].sizes = list(shards.sizes)
            report.splits[split].modes = Counter(shards.modes)

    def _loader(self, split: str, train: bool = False) -> DataLoader:
        if split == "predict":
            return super()._loader(split, train)
        dataset = self.datasets[split]
        trainer = self.trainer
        if train and isinstance(dataset, ShardStream):
            dataset.set_processes(trainer.global_rank if trainer else 0, trainer.world_size if trainer else 1)
        kwargs = {"batch_size": self.batch_size if train else self.eval_batch_size, "num_workers": self.num_workers,
                  "pin_memory": self.pin_memory, "drop_last": self.drop_last if train else False,
                  "collate_fn": default_collate if type(self).collate is VisionDataModule.collate else self.collate}
        if train and self.overfitting():
            # trainer.overfit_batches: the first epoch's shuffle and random draws every epoch, the
            # same batches (Lightning cannot make a stream's order sequential; it only warns).
            return ShardLoader(dataset, epoch=lambda: 0, replay_seed=self.seed, **kwargs)
        if train:
            return ShardLoader(dataset, epoch=self._current_epoch, **kwargs)
        return DataLoader(dataset, **kwargs)
