"""VisionDataModule.collate builds every loader's batches; the on-device path, which stacks
tensor targets, refuses by name a datamodule whose targets it cannot stack."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from nnframe.core.cv_tools import classification_eval_transform
from nnframe.core.data import ShapesDataModule, VisionDataset
from nnframe.core.data.device_batch_loader import dataset_tensors
from nnframe.core.errors import ConfigError


class _ListCollating(ShapesDataModule):
    def collate(self, samples: list[Any]) -> Any:
        images, targets = zip(*samples, strict=True)
        return list(images), [{"label": t} for t in targets]


def _datamodule(cls: type[ShapesDataModule], on_device: bool) -> ShapesDataModule:
    transform = classification_eval_transform(16, "shapes")
    return cls(num_train=12, num_val=8, num_test=8, image_size=16, batch_size=4, on_device=on_device,
               train_transform=transform, eval_transform=transform)


def test_every_loader_uses_the_datamodules_collate() -> None:
    datamodule = _datamodule(_ListCollating, on_device=False)
    datamodule.setup("fit")
    for loader in (datamodule.train_dataloader(), datamodule.val_dataloader()):
        images, targets = next(iter(loader))
        assert isinstance(images, list) and len(images) == 4 and images[0].shape == (3, 16, 16)
        assert isinstance(targets[0], dict)


def test_on_device_refuses_a_datamodule_with_its_own_collate_before_training() -> None:
    with pytest.raises(ConfigError, match=r"_ListCollating collates its own batches.*set data.on_device=false"):
        _datamodule(_ListCollating, on_device=True).setup("fit")
    _datamodule(_ListCollating, on_device=False).setup("fit")  # the hint works


class _DictTargets(VisionDataset):
    class_names = ["a", "b"]

    def __len__(self) -> int:
        return 3

    def load(self, index: int) -> tuple[Any, Any]:
        return torch.zeros(3, 4, 4, dtype=torch.uint8), {"boxes": torch.zeros(1, 4)}


def test_on_device_names_a_target_that_is_not_a_tensor() -> None:
    with pytest.raises(ConfigError, match=r"sample 0 of _DictTargets has a dict target.*set data.on_device=false"):
        dataset_tensors(_DictTargets())
