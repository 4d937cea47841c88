"""Base ``LightningDataModule``: splits, loaders, the predict folder, and a dataset summary."""

from __future__ import annotations

from abc import abstractmethod
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import lightning as L
import torch
from torch.utils.data import DataLoader, Dataset

from nnframe.core.contracts import check_members
from nnframe.core.data._contract import VISION_DATAMODULE_MEMBERS, check_split_dataset
from nnframe.core.data.epoch_sampler import EpochSeededRandomSampler
from nnframe.core.data.image_files import ImageFileDataset
from nnframe.core.errors import DatasetError

_STAGE_SPLITS = {"fit": ("train", "val"), "validate": ("val",), "test": ("test",), None: ("train", "val", "test")}


class VisionDataModule(L.LightningDataModule):
    """Loads the train/val/test splits of one dataset and serves their dataloaders.

    A subclass provides ``build_dataset(split, transform)`` returning a
    :class:`~nnframe.core.data.VisionDataset` for ``train``, ``val`` and ``test`` (may be the
    same data as val when the dataset has no test split), and may override ``prepare_data``
    to download. Another ``(image, target)`` dataset works wrapped in
    :class:`~nnframe.core.data.WrappedDataset` with its class names (or with ``class_names``
    defined on the datamodule). A subclass without ``build_dataset`` fails at construction with
    an example of it; a split without class names fails at ``setup``.

    Args:
        batch_size: training batch size (per process).
        eval_batch_size: validation/test/predict batch size (default: ``batch_size``).
        num_workers: dataloader worker processes (0 loads in the main process).
        pin_memory: page-locked batches for faster host-to-GPU copies.
        persistent_workers: keep workers alive between epochs (only with ``num_workers > 0``).
        drop_last: drop the last incomplete training batch.
        seed: seed of the training shuffle (order = f(seed, epoch)).
        num_classes: expected number of classes; checked against the data (None: take the data's).
        train_transform: called as ``transform(image, target)`` on training samples.
        eval_transform: the same for validation, test and prediction.
        in_channels: image channels the model receives.
        image_size: side of the images the model receives.
        normalization: the stats the transforms normalise with (a name in
            ``cv_tools.NORMALIZATION_STATS`` or ``[mean, std]``), used to draw images back.
        on_device: hold the train/val/test splits as uint8 tensors on the training device and
            augment whole batches there (in-memory datasets; see ``device_batch_loader``).
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> VisionDataModule:
        check_members(cls, "nnframe.core.data.VisionDataModule", VISION_DATAMODULE_MEMBERS)  # a clear error, not None later
        return super().__new__(cls)

    def __init__(
        self,
        batch_size: int = 64,
        eval_batch_size: int | None = None,
        num_workers: int = 0,
        pin_memory: bool = False,
        persistent_workers: bool = False,
        drop_last: bool = False,
        seed: int = 0,
        num_classes: int | None = None,
        train_transform: Callable[..., Any] | None = None,
        eval_transform: Callable[..., Any] | None = None,
        in_channels: int = 3,
        image_size: int = 32,
        normalization: str | Sequence[Sequence[float]] = "imagenet",
        on_device: bool = False,
    ) -> None:
        super().__init__()
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size or batch_size
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.persistent_workers = persistent_workers and num_workers > 0
        self.drop_last = drop_last
        self.seed = seed
        self.expected_num_classes = num_classes
        self.train_transform = train_transform
        self.eval_transform = eval_transform
        self.in_channels = in_channels
        self.image_size = image_size
        self.normalization = normalization
        self.on_device = on_device
        self.datasets: dict[str, Dataset] = {}
        self.predict_dir: str | None = None

    @abstractmethod
    def build_dataset(self, split: str, transform: Callable[..., Any] | None) -> Dataset:
        """Return the dataset of ``split`` (``train``, ``val`` or ``test``) with ``transform``."""

    def setup(self, stage: str | None = None) -> None:
        """Build the splits ``stage`` needs (once) and check the number of classes."""
        if stage == "predict":
            if not self.predict_dir:
                raise DatasetError("predict needs a folder of images: add predict.input_dir=/path/to/images")
            self.datasets["predict"] = ImageFileDataset(self.predict_dir, self._predict_transform())
            return
        for split in _STAGE_SPLITS.get(stage, ("train", "val", "test")):
            if split not in self.datasets:
                transform = self.train_transform if split == "train" else self.eval_transform
                self.datasets[split] = self.build_dataset(split, transform)
                check_split_dataset(self, split, self.datasets[split])
                if len(self.datasets[split]) == 0:
                    raise DatasetError(f"the {split} split of {type(self).__name__} is empty")
        self._check_num_classes()

    def _predict_transform(self) -> Callable[..., Any] | None:
        return self.eval_transform

    def _check_num_classes(self) -> None:
        if self.expected_num_classes is None or not self.datasets:
            return
        found = len(self.class_names)
        if found != self.expected_num_classes:
            raise DatasetError(
                f"data.num_classes={self.expected_num_classes} but the dataset has {found} classes "
                f"({', '.join(self.class_names[:20])}); set data.num_classes={found} or leave it null"
            )

    @property
    def class_names(self) -> list[str]:
        """Class names of the dataset (index = label); builds the validation split if needed."""
        for split in ("train", "val", "test"):
            if split in self.datasets:
                return list(self.datasets[split].class_names)
        self.datasets["val"] = self.build_dataset("val", self.eval_transform)
        check_split_dataset(self, "val", self.datasets["val"])
        return list(self.datasets["val"].class_names)

    @property
    def num_classes(self) -> int:
        """Number of classes in the data."""
        return len(self.class_names)

    def _loader(self, split: str, train: bool = False) -> DataLoader:
        if self.on_device and split != "predict":
            from nnframe.core.data.device_batch_loader import build_device_loader

            return build_device_loader(self, split, train)  # type: ignore[return-value]
        dataset = self.datasets[split]
        sampler, generator = None, None
        if train:
            generator = torch.Generator()
            sampler = EpochSeededRandomSampler(dataset, self.seed, self._current_epoch(), generator)
        return DataLoader(
            dataset,
            batch_size=self.batch_size if train else self.eval_batch_size,
            sampler=sampler,
            generator=generator,
            drop_last=self.drop_last if train else False,
            num_workers=self.num_workers,
            pin_memory=self.pin_memory,
            persistent_workers=self.persistent_workers,
        )

    def _current_epoch(self) -> int:
        """The epoch the trainer is at (restored from a checkpoint when resuming), else 0."""
        trainer = self.trainer
        return int(trainer.fit_loop.epoch_progress.current.processed) if trainer is not None else 0

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", train=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val")

    def test_dataloader(self) -> DataLoader:
        return self._loader("test")

    def predict_dataloader(self) -> DataLoader:
        return self._loader("predict")

    def summary(self) -> dict[str, Any]:
        """Sizes per split, class names and per-class counts, for the start-of-run printout.

        Returns:
            ``{"splits": {split: size}, "classes": [...], "counts": {split: [count per class]}}``
            plus, in subclasses, ``"extra": {title: {row: value}}``.
        """
        counts: dict[str, list[int]] = {}
        for split, dataset in self.datasets.items():
            targets = getattr(dataset, "targets", None)
            if targets is not None:
                counter = Counter(int(t) for t in targets)
                counts[split] = [counter.get(i, 0) for i in range(self.num_classes)]
        return {
            "splits": {split: len(dataset) for split, dataset in self.datasets.items()},
            "classes": self.class_names,
            "counts": counts,
        }
