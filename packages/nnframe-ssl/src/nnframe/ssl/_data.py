"""The labelled data that evaluation of an SSL run needs (kNN bank, linear probe)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset

from nnframe.core.data.on_device.device_augment import plan_from_transform
from nnframe.core.data.on_device.device_batch_loader import DeviceBatchLoader, dataset_tensors, prepare_images


def labelled_train_dataset(datamodule: Any) -> Dataset:
    """The labelled training images with the evaluation transform.

    A datamodule whose training split holds unlabelled images (STL-10 ``train+unlabeled``)
    provides ``labelled_train_dataset()``; otherwise its train split is rebuilt with its
    ``eval_transform`` (so kNN and linear probes see no augmentation).
    """
    custom = getattr(datamodule, "labelled_train_dataset", None)
    if callable(custom):
        return custom()
    return _as_checked(datamodule, datamodule.build_dataset("train", datamodule.eval_transform))


def _as_checked(datamodule: Any, dataset: Dataset) -> Dataset:
    """``dataset`` without the samples the pre-flight check left out of the training split
    (``data.skip_corrupt=true``): a rebuilt split lists every file again, the unusable ones too."""
    checked = getattr(datamodule, "datasets", {}).get("train")
    if checked is None or checked is dataset or not callable(getattr(dataset, "sample_files", None)):
        return dataset
    kept, files = checked.sample_files(), dataset.sample_files()
    if kept is None or files is None:
        return dataset
    kept_files = set(kept)
    left_out = [index for index, sample in enumerate(files) if sample not in kept_files]
    if left_out:
        dataset.drop_samples(left_out)
    return dataset


def eval_loader(datamodule: Any, dataset: Dataset) -> Iterable[Any]:
    """A sequential loader over ``dataset`` with the datamodule's evaluation settings (on the
    training device, batch-transformed, when the datamodule has ``on_device=true``)."""
    if getattr(datamodule, "on_device", False):
        plan = plan_from_transform(datamodule.eval_transform)
        trainer = getattr(datamodule, "trainer", None)
        device = trainer.strategy.root_device if trainer is not None else torch.device("cpu")
        # The bank is embedded every epoch: prepare and move its images once.
        cache: dict[Any, tuple[Dataset, torch.Tensor, torch.Tensor]] = datamodule.__dict__.setdefault(
            "_eval_tensors", {})
        key = (id(dataset), str(device))
        if key not in cache or cache[key][0] is not dataset:  # holding the dataset keeps its id unique
            images, labels = dataset_tensors(dataset)
            cache[key] = (dataset, prepare_images(images, plan).to(device), labels.to(device))
        _, images, labels = cache[key]
        return DeviceBatchLoader(images, labels, datamodule.eval_batch_size, plan.augmentation, device=device,
                                 shuffle=False)
    return DataLoader(dataset, batch_size=datamodule.eval_batch_size, shuffle=False,
                      num_workers=datamodule.num_workers, pin_memory=datamodule.pin_memory)
