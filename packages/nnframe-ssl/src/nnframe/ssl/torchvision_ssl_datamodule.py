"""Torchvision datasets whose training split may be unlabelled (STL-10 ``train+unlabeled``)."""

from __future__ import annotations

from typing import Any

from nnframe.core.data import TorchvisionDataModule, WrappedDataset
from nnframe.core.data.labelled.torchvision_datasets import dataset_class_names, load_torchvision_dataset


class TorchvisionSSLDataModule(TorchvisionDataModule):
    """:class:`~nnframe.core.data.TorchvisionDataModule` plus the labelled split used to
    evaluate the representation (kNN bank, linear probe).

    Args:
        labelled_split: the labelled training split (``train``) when ``train_split`` also
            holds unlabelled images (STL-10: ``train+unlabeled``).
        **kwargs: :class:`~nnframe.core.data.TorchvisionDataModule` arguments.
    """

    def __init__(self, labelled_split: str = "train", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.labelled_split = labelled_split

    def labelled_train_dataset(self) -> WrappedDataset:
        """The labelled training images with the evaluation transform."""
        if self.labelled_split == self.train_split:
            return self.build_dataset("train", self.eval_transform)
        raw = load_torchvision_dataset(self.dataset_name, self.root, self.labelled_split)
        targets = getattr(raw, "targets", None)
        if targets is None:
            targets = getattr(raw, "labels", None)
        return WrappedDataset(raw, dataset_class_names(raw), self.eval_transform, targets=targets)
