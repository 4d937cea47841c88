"""data.class_balance: the sampler draws classes equally often, loss weights are the inverse class
frequency; switches the on-device path cannot do stop before training with their names."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from nnframe.core.cv_tools import classification_eval_transform, classification_train_transform
from nnframe.core.data import ImageFolderDataModule, ShapesDataModule
from nnframe.core.data.loading.class_balance import (
    ClassBalancedSampler,
    class_counts,
    inverse_frequency_weights,
)
from nnframe.core.errors import ConfigError
from nnframe.core.testing import write_shapes_folder

IMBALANCED = {"train": {"circle": 36, "square": 4}, "val": {"circle": 4, "square": 4}}


def _folder_datamodule(root: Path, **kwargs: object) -> ImageFolderDataModule:
    transform = classification_eval_transform(16, "shapes")
    datamodule = ImageFolderDataModule(root=root, image_size=16, batch_size=40, train_transform=transform,
                                       eval_transform=transform, **kwargs)
    datamodule.setup("fit")
    return datamodule


def test_sampler_draws_classes_equally_often_and_replays_an_epoch(tmp_path: Path) -> None:
    datamodule = _folder_datamodule(write_shapes_folder(tmp_path, IMBALANCED, image_size=16), class_balance="sampler")
    assert datamodule.train_targets().bincount().tolist() == [36, 4]
    loader = datamodule.train_dataloader()
    assert isinstance(loader.sampler, ClassBalancedSampler)
    drawn = torch.cat([target for _, target in loader] * 1)
    counts = drawn.bincount(minlength=2)
    assert len(drawn) == 40 and abs(int(counts[0]) - int(counts[1])) <= 14  # ~20 each, not 36 / 4
    many = torch.tensor([datamodule.train_targets()[i] for e in range(20) for i in _epoch(loader.sampler, e)])
    assert abs(many.float().mean().item() - 0.5) < 0.05
    assert _epoch(loader.sampler, 3) == _epoch(loader.sampler, 3) != _epoch(loader.sampler, 4)


def _epoch(sampler: ClassBalancedSampler, epoch: int) -> list[int]:
    sampler.set_epoch(epoch)
    return list(sampler)


def test_loss_weights_are_the_inverse_class_frequency(tmp_path: Path) -> None:
    datamodule = _folder_datamodule(write_shapes_folder(tmp_path, IMBALANCED, image_size=16),
                                    class_balance="loss_weights")
    torch.testing.assert_close(datamodule.class_weights(), torch.tensor([40 / (2 * 36), 40 / (2 * 4)]))
    assert _folder_datamodule(tmp_path).class_weights() is None
    assert inverse_frequency_weights(class_counts([0, 0, 2], 3)).tolist() == [0.75, 0.0, 1.5]


def test_an_unknown_mode_names_the_choices() -> None:
    with pytest.raises(ConfigError, match="sampler.*loss_weights"):
        ShapesDataModule(class_balance="oversample")


@pytest.mark.parametrize(("switch", "named"), [({"auto_augment": "trivial"}, "data.auto_augment=trivial"),
                                                ({"random_erasing": 0.25}, "data.random_erasing=0.25"),
                                                ({"class_balance": "sampler"}, "data.class_balance=sampler")])
def test_on_device_names_a_switch_it_cannot_do_and_the_loader_path_does_it(switch: dict, named: str) -> None:
    def build(on_device: bool) -> ShapesDataModule:
        train = classification_train_transform(16, "shapes", auto_augment=switch.get("auto_augment"),
                                               random_erasing=switch.get("random_erasing", 0.0))
        return ShapesDataModule(num_train=32, num_val=8, num_test=8, image_size=16, batch_size=8, on_device=on_device,
                                train_transform=train, eval_transform=classification_eval_transform(16, "shapes"),
                                **switch)

    with pytest.raises(ConfigError, match=f"{named}.*data.on_device=false"):
        build(on_device=True).setup("fit")
    datamodule = build(on_device=False)  # the hint: the DataLoader path applies it
    datamodule.setup("fit")
    images, labels = next(iter(datamodule.train_dataloader()))
    assert images.shape == (8, 3, 16, 16) and labels.shape == (8,)


def test_mixing_works_on_device() -> None:
    transform = classification_eval_transform(16, "shapes")
    datamodule = ShapesDataModule(num_train=16, num_val=8, num_test=8, image_size=16, batch_size=8, on_device=True,
                                  train_transform=transform, eval_transform=transform, mixup_alpha=0.4,
                                  class_balance="loss_weights")
    datamodule.setup("fit")
    assert datamodule.train_batch_mixing() is not None and datamodule.class_weights() is not None
    assert ("data.mixup_alpha", "MixUp, Beta(0.4, 0.4)") in datamodule.summary()["extra"][
        "training data switches"]["rows"]
