"""Datamodule for a user's own images: ``root/train/<class>/...`` (+ ``val/``, ``test/``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import Subset

from nnframe.core.data.image_folder_dataset import ImageFolderDataset
from nnframe.core.data.vision_datamodule import VisionDataModule
from nnframe.core.data.vision_dataset import WrappedDataset
from nnframe.core.errors import DatasetError


class ImageFolderDataModule(VisionDataModule):
    """Class-per-folder images with a train folder and optional val and test folders.

    Without a val folder, a seeded ``val_fraction`` of train is held out; without a test
    folder, test uses the validation data. Every split must have the same class folders.

    Args:
        root: dataset folder holding ``train_dir`` (and ``val_dir``, ``test_dir``).
        train_dir, val_dir, test_dir: split folder names.
        val_fraction: held-out share of train when there is no val folder.
        skip_corrupt: skip unreadable images with a warning instead of failing.
        **kwargs: :class:`VisionDataModule` arguments.
    """

    def __init__(self, root: str | Path, train_dir: str = "train", val_dir: str = "val", test_dir: str = "test",
                 val_fraction: float = 0.1, skip_corrupt: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.root = Path(root)
        self.split_dirs = {"train": train_dir, "val": val_dir, "test": test_dir}
        self.val_fraction = val_fraction
        self.skip_corrupt = skip_corrupt
        self.image_mode = "L" if self.in_channels == 1 else "RGB"

    def _folder(self, split: str) -> Path | None:
        folder = self.root / self.split_dirs[split]
        return folder if folder.is_dir() else None

    def prepare_data(self) -> None:
        if not self.root.is_dir():
            raise DatasetError(
                f"dataset folder not found: {self.root}. Set data.root to a folder holding "
                f"{self.split_dirs['train']}/<class>/<image> (and optionally {self.split_dirs['val']}/, "
                f"{self.split_dirs['test']}/)"
            )
        if self._folder("train") is None:
            raise DatasetError(f"no {self.split_dirs['train']}/ folder in {self.root} (expected train/<class>/<image>)")

    def _load(self, split: str, transform: Callable[..., Any] | None) -> ImageFolderDataset:
        folder = self._folder(split)
        assert folder is not None
        return ImageFolderDataset(folder, transform, self.skip_corrupt, self.image_mode)

    def build_dataset(self, split: str, transform: Callable[..., Any] | None) -> Any:
        self.prepare_data()
        if split == "test" and self._folder("test") is None:
            split = "val"
        if split == "train" or self._folder(split) is not None:
            dataset = self._load(split, transform)
            if split == "train" and self._folder("val") is None and self.val_fraction > 0:
                return self._holdout(dataset, transform, train=True)
            self._check_classes(split, dataset)
            return dataset
        if self.val_fraction <= 0:
            raise DatasetError(f"no {self.split_dirs['val']}/ folder in {self.root} and data.val_fraction=0")
        return self._holdout(self._load("train", transform), transform, train=False)

    def _holdout(self, dataset: ImageFolderDataset, transform: Callable[..., Any] | None, train: bool) -> WrappedDataset:
        order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(self.seed)).tolist()
        n_val = max(1, int(round(self.val_fraction * len(dataset))))
        indices = order[n_val:] if train else order[:n_val]
        targets = dataset.targets
        dataset.transform = None  # the wrapper applies the split's transform
        return WrappedDataset(Subset(dataset, indices), dataset.class_names, transform,
                              targets=[targets[i] for i in indices])

    def _check_classes(self, split: str, dataset: ImageFolderDataset) -> None:
        if split == "train":
            return
        train_classes = sorted(p.name for p in self._folder("train").iterdir() if p.is_dir())  # type: ignore[union-attr]
        if dataset.class_names != train_classes:
            only_split = sorted(set(dataset.class_names) - set(train_classes))
            only_train = sorted(set(train_classes) - set(dataset.class_names))
            raise DatasetError(
                f"classes of {self.root / self.split_dirs[split]} differ from train: only in {split}: "
                f"{only_split or 'none'}; only in train: {only_train or 'none'}. Every split needs the same class folders."
            )
