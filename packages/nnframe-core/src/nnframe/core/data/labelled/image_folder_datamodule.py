"""Datamodule for a user's own images: ``root/train/<class>/...`` (+ ``val/``, ``test/``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from nnframe.core.data.base.image_files import SYSTEM_FOLDERS, list_image_files
from nnframe.core.data.base.vision_datamodule import VisionDataModule
from nnframe.core.data.labelled.class_folders import expected_tree, scan_class_folders
from nnframe.core.data.labelled.labelled_image_dataset import LabelledImageDataset
from nnframe.core.errors import DatasetError


class ImageFolderDataModule(VisionDataModule):
    """Class-per-folder images with a train folder and optional val and test folders.

    Without a val folder, a seeded ``val_fraction`` of train is held out; without a test
    folder, test uses the validation data. Every split must have the same class folders.

    Args:
        root: dataset folder holding ``train_dir`` (and ``val_dir``, ``test_dir``).
        train_dir, val_dir, test_dir: split folder names (paths below ``root``).
        val_fraction: held-out share of train when there is no val folder.
        min_classes: fewer class folders is an error (2 for classification, 1 for SSL, whose
            labels only serve its kNN monitor).
        **kwargs: :class:`VisionDataModule` arguments (``skip_corrupt``, ``image_size``...).
    """

    def __init__(self, root: str | Path, train_dir: str = "train", val_dir: str = "val", test_dir: str = "test",
                 val_fraction: float = 0.1, min_classes: int = 2, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.root = Path(root)
        self.split_dirs = {"train": train_dir, "val": val_dir, "test": test_dir}
        self.val_fraction = val_fraction
        self.min_classes = min_classes
        self._scans: dict[str, LabelledImageDataset] = {}

    def _folder(self, split: str) -> Path | None:
        folder = self.root / self.split_dirs[split]
        return folder if folder.is_dir() else None

    def _tree(self) -> str:
        return expected_tree(self.root, self.split_dirs)

    def prepare_data(self) -> None:
        if not self.root.is_dir():
            raise DatasetError(f"dataset folder not found: {self.root}. Set data.root to the folder that holds "
                               f"{self.split_dirs['train']}/.\n{self._tree()}")
        if self._folder("train") is None:
            raise DatasetError(self._missing_train_message())

    def _missing_train_message(self) -> str:
        train = self.split_dirs["train"]
        subfolders = sorted(p for p in self.root.iterdir() if p.is_dir() and p.name not in SYSTEM_FOLDERS
                            and not p.name.startswith("."))
        with_train = [p for p in subfolders if (p / train).is_dir()]
        if with_train:
            hint = f"{with_train[0]} holds {train}/: set data.root={with_train[0]}"
        elif subfolders and any(list_image_files(p)[0] for p in subfolders[:20]):
            names = ", ".join(p.name for p in subfolders[:8])
            hint = (f"{self.root} holds class folders ({names}) directly: set data.train_dir=. to train on them "
                    f"(data.val_fraction={self.val_fraction} held out for validation), or move them into {train}/")
        else:
            hint = f"create {self.root / train}/ with one folder per class"
        return f"no {train}/ folder in {self.root}: {hint}.\n{self._tree()}"

    def _scan(self, split: str) -> LabelledImageDataset:
        if split not in self._scans:
            folder = self._folder(split)
            assert folder is not None
            scan = scan_class_folders(folder, split, self.root, self.split_dirs,
                                      self.min_classes if split == "train" else 1)
            dataset = LabelledImageDataset(scan.samples, scan.classes, image_mode=self.image_mode)
            dataset.ignored_files = scan.ignored
            self._scans[split] = dataset
        return self._scans[split]

    @property
    def image_mode(self) -> str:
        return "L" if self.in_channels == 1 else "RGB"

    def build_dataset(self, split: str, transform: Callable[..., Any] | None) -> LabelledImageDataset:
        self.prepare_data()
        if split == "test" and self._folder("test") is None:
            split = "val"
        if split == "val" and self._folder("val") is None:
            if self.val_fraction <= 0:
                raise DatasetError(f"no {self.split_dirs['val']}/ folder in {self.root} and data.val_fraction=0: "
                                   f"add the folder or set data.val_fraction=0.1.\n{self._tree()}")
            return self._holdout(transform, train=False)
        if split == "train" and self._folder("val") is None and self.val_fraction > 0:
            return self._holdout(transform, train=True)
        dataset = self._scan(split)
        self._check_classes(split, dataset)
        return dataset.subset(range(len(dataset)), transform)

    def _holdout(self, transform: Callable[..., Any] | None, train: bool) -> LabelledImageDataset:
        dataset = self._scan("train")
        order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(self.seed)).tolist()
        n_val = max(1, int(round(self.val_fraction * len(dataset))))
        subset = dataset.subset(sorted(order[n_val:] if train else order[:n_val]), transform)
        if not train:
            subset.ignored_files = []  # counted once, with train
        return subset

    def _check_classes(self, split: str, dataset: LabelledImageDataset) -> None:
        if split == "train":
            return
        train_classes = self._scan("train").class_names
        if dataset.class_names != train_classes:
            only_split = sorted(set(dataset.class_names) - set(train_classes))
            only_train = sorted(set(train_classes) - set(dataset.class_names))
            raise DatasetError(
                f"classes of {self.root / self.split_dirs[split]} differ from train: only in {split}: "
                f"{only_split or 'none'}; only in train: {only_train or 'none'}. Every split needs the same "
                f"class folders: add the missing ones (with images), or remove {self.split_dirs[split]}/ "
                f"to use {'data.val_fraction of train' if split == 'val' else 'the val split'} instead.\n{self._tree()}"
            )
