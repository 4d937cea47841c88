"""The labelled data that evaluation of an SSL run needs (kNN bank, linear probe)."""

from __future__ import annotations

from typing import Any

from torch.utils.data import DataLoader, Dataset


def labelled_train_dataset(datamodule: Any) -> Dataset:
    """The labelled training images with the evaluation transform.

    A datamodule whose training split holds unlabelled images (STL-10 ``train+unlabeled``)
    provides ``labelled_train_dataset()``; otherwise its train split is rebuilt with its
    ``eval_transform`` (so kNN and linear probes see no augmentation).
    """
    custom = getattr(datamodule, "labelled_train_dataset", None)
    if callable(custom):
        return custom()
    return datamodule.build_dataset("train", datamodule.eval_transform)


def eval_loader(datamodule: Any, dataset: Dataset) -> DataLoader:
    """A sequential loader over ``dataset`` with the datamodule's evaluation settings."""
    return DataLoader(dataset, batch_size=datamodule.eval_batch_size, shuffle=False,
                      num_workers=datamodule.num_workers, pin_memory=datamodule.pin_memory)
