"""Datamodule over the labelled torchvision datasets (CIFAR-10/100, MNIST, FashionMNIST, STL-10,
Imagenette)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import Subset

from nnframe.core.data.base.vision_datamodule import VisionDataModule
from nnframe.core.data.base.vision_dataset import WrappedDataset
from nnframe.core.data.labelled.torchvision_datasets import (
    dataset_class_names,
    download_torchvision_dataset,
    load_torchvision_dataset,
)


class TorchvisionDataModule(VisionDataModule):
    """A torchvision dataset split into train / val / test.

    Validation is either the dataset's test split (``val_fraction=0``, the usual practice for
    CIFAR benchmarks) or a seeded ``val_fraction`` of the training split.

    Args:
        dataset: ``cifar10``, ``cifar100``, ``mnist``, ``fashion_mnist``, ``stl10``, or
            ``imagenette`` / ``imagenette_320`` / ``imagenette_160`` (full size, 320 px, 160 px;
            its ``val`` split is the test split).
        root: data root; the dataset's own folder is created below it.
        download: download with torchvision's code when missing (needs a network).
        train_split: the split used for training (``train``; STL-10 also ``train+unlabeled``).
        val_fraction: fraction of the training split held out for validation.
        **kwargs: :class:`VisionDataModule` arguments.
    """

    def __init__(self, dataset: str, root: str | Path = "data", download: bool = False, train_split: str = "train",
                 val_fraction: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dataset_name = dataset
        self.root = Path(root)
        self.download = download
        self.train_split = train_split
        self.val_fraction = val_fraction

    @classmethod
    def default_normalization(cls, data_cfg: Mapping[str, Any]) -> str:
        """The dataset's statistics when nnframe has them (CIFAR, MNIST, STL-10), else ImageNet's
        (Imagenette is a subset of ImageNet)."""
        from nnframe.core.cv_tools.normalization import NORMALIZATION_STATS

        name = str(data_cfg.get("dataset", ""))
        return name if name in NORMALIZATION_STATS else "imagenet"

    def prepare_data(self) -> None:
        if self.download:
            download_torchvision_dataset(self.dataset_name, self.root)

    def build_dataset(self, split: str, transform: Callable[..., Any] | None) -> WrappedDataset:
        source = self.train_split if split == "train" or (split == "val" and self.val_fraction > 0) else "test"
        raw = load_torchvision_dataset(self.dataset_name, self.root, source)
        names = dataset_class_names(raw)
        targets = getattr(raw, "targets", None)
        if targets is None:
            targets = getattr(raw, "labels", None)
        if self.val_fraction > 0 and split in ("train", "val"):
            order = torch.randperm(len(raw), generator=torch.Generator().manual_seed(self.seed)).tolist()
            n_val = int(round(self.val_fraction * len(raw)))
            indices = order[:n_val] if split == "val" else order[n_val:]
            subset_targets = None if targets is None else [int(targets[i]) for i in indices]
            return WrappedDataset(Subset(raw, indices), names, transform, targets=subset_targets)
        return WrappedDataset(raw, names, transform, targets=targets)
