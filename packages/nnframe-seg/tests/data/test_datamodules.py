"""Pets, VOC and mask folders load from files in their own layout, with labels checked on load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from nnframe.core.cv_tools import segmentation_eval_transform
from nnframe.core.errors import DatasetError
from nnframe.seg.data import MaskFolderDataModule, OxfordPetDataModule, VOCSegmentationDataModule

from ..conftest import block_mask, write_image, write_mask

TRANSFORM = segmentation_eval_transform(32, "imagenet")


def _first_batch(datamodule, split: str = "train") -> tuple[torch.Tensor, torch.Tensor]:
    datamodule.setup("fit" if split in ("train", "val") else "test")
    loader = getattr(datamodule, f"{split}_dataloader")()
    images, masks = next(iter(loader))
    return images, masks


def test_pets_trimaps_map_to_background_pet_and_ignored_border(pets_root: Path) -> None:
    datamodule = OxfordPetDataModule(root=pets_root, val_fraction=0.2, batch_size=4, num_classes=2,
                                     train_transform=TRANSFORM, eval_transform=TRANSFORM)
    images, masks = _first_batch(datamodule)
    assert images.shape == (4, 3, 32, 32) and images.dtype == torch.float32
    assert masks.shape == (4, 32, 32) and masks.dtype == torch.int64
    assert set(masks.unique().tolist()) == {0, 1, 255}
    assert (masks[:, :, 0] == 0).all() and (masks[:, :, -1] == 1).all()  # trimap 2 -> 0, 1 -> 1
    assert {split: len(ds) for split, ds in datamodule.datasets.items()} == {"train": 8, "val": 2}
    datamodule.setup("test")
    assert len(datamodule.datasets["test"]) == 2
    summary = datamodule.summary()
    (table,) = summary["extra"].values()
    assert [row[0] for row in table["rows"]] == ["0: background", "1: pet", "255: ignored"]


def test_pets_border_as_a_third_class(pets_root: Path) -> None:
    datamodule = OxfordPetDataModule(root=pets_root, border="class", batch_size=10, num_classes=3)
    datamodule.setup("fit")
    _, mask = datamodule.datasets["train"][0]
    assert set(mask.unique().tolist()) == {0, 1, 2}
    assert datamodule.class_names == ["background", "pet", "border"]


def test_voc_palette_masks_keep_class_indices_and_border(voc_root: Path) -> None:
    datamodule = VOCSegmentationDataModule(root=voc_root, batch_size=6, num_classes=21,
                                           train_transform=TRANSFORM, eval_transform=TRANSFORM)
    _, masks = _first_batch(datamodule)
    assert set(masks.unique().tolist()) == {0, 15, 20, 255}
    assert len(datamodule.datasets["val"]) == 3
    assert datamodule.class_names[15] == "person"
    datamodule.setup("test")
    assert len(datamodule.datasets["test"]) == 3  # test = val


def test_missing_dataset_names_the_folder_and_the_fix(tmp_path: Path) -> None:
    datamodule = VOCSegmentationDataModule(root=tmp_path, num_classes=21)
    with pytest.raises(DatasetError, match=r"VOCdevkit/VOC2012.*data.download=true"):
        datamodule.setup("fit")


def _mask_folder(root: Path, values: list[int], count: int = 5, splits: tuple[str, ...] = ("train",)) -> None:
    for split in splits:
        for i in range(count):
            write_image(root / split / "images" / f"{i:03d}.jpg", seed=i)
            write_mask(root / split / "masks" / f"{i:03d}.png", block_mask(values))


def test_mask_folder_loads_pairs_and_holds_out_val(tmp_path: Path) -> None:
    _mask_folder(tmp_path, [0, 1, 2, 255], count=10)
    datamodule = MaskFolderDataModule(root=tmp_path, class_names=["background", "road", "car"], val_fraction=0.2,
                                      batch_size=8, train_transform=TRANSFORM, eval_transform=TRANSFORM)
    images, masks = _first_batch(datamodule)
    assert images.shape == (8, 3, 32, 32)
    assert set(masks.unique().tolist()) == {0, 1, 2, 255}
    assert len(datamodule.datasets["val"]) == 2
    assert datamodule.num_classes == 3


def test_mask_folder_uses_its_val_and_test_folders(tmp_path: Path) -> None:
    _mask_folder(tmp_path, [0, 1], count=4, splits=("train", "val", "test"))
    datamodule = MaskFolderDataModule(root=tmp_path, num_classes=2)
    datamodule.setup(None)
    assert {split: len(ds) for split, ds in datamodule.datasets.items()} == {"train": 4, "val": 4, "test": 4}


def test_binary_masks_stored_as_0_255_are_read_as_0_1(tmp_path: Path) -> None:
    _mask_folder(tmp_path, [0, 255])
    datamodule = MaskFolderDataModule(root=tmp_path, num_classes=2, val_fraction=0.2)
    datamodule.setup("fit")
    _, mask = datamodule.datasets["train"][0]
    assert set(np.unique(np.asarray(mask)).tolist()) == {0, 1}


def test_mask_value_beyond_num_classes_fails_naming_file_and_value(tmp_path: Path) -> None:
    _mask_folder(tmp_path, [0, 1, 2])
    write_mask(tmp_path / "train" / "masks" / "003.png", block_mask([0, 1, 7]))
    datamodule = MaskFolderDataModule(root=tmp_path, num_classes=3, val_fraction=0.2)
    with pytest.raises(DatasetError) as error:
        datamodule.setup("fit")
    message = str(error.value)
    assert "003.png" in message and "value 7" in message and "data.num_classes=3" in message


def test_mask_without_image_size_or_file_fails_clearly(tmp_path: Path) -> None:
    _mask_folder(tmp_path, [0, 1])
    (tmp_path / "train" / "masks" / "002.png").unlink()
    with pytest.raises(DatasetError, match=r"no mask for image .*002\.jpg"):
        MaskFolderDataModule(root=tmp_path, num_classes=2).setup("fit")
    write_image(tmp_path / "train" / "images" / "002.jpg", size=(10, 10))
    write_mask(tmp_path / "train" / "masks" / "002.png", block_mask([0, 1]))
    datamodule = MaskFolderDataModule(root=tmp_path, num_classes=2, val_fraction=0.0001)
    datamodule.setup("fit")
    dataset = datamodule.datasets["train"]
    index = next(i for i, (image, _) in enumerate(dataset.samples) if image.name == "002.jpg")
    with pytest.raises(DatasetError, match=r"002\.png is 24x20 but image .*002\.jpg is 10x10"):
        dataset[index]


@pytest.mark.parametrize("on_device", [True, False])
def test_default_shapes_masks_on_the_device_and_per_image(on_device: bool, tmp_path: Path) -> None:
    from nnframe.core.data.device_batch_loader import DeviceBatchLoader
    from nnframe.core.testing import compose_task_config
    from nnframe.core.training.instantiate import build_datamodule

    cfg = compose_task_config("nnframe.seg.configs", [f"data.on_device={str(on_device).lower()}", "data.num_train=64",
                                                      "data.num_val=32", "data.num_test=32", "data.batch_size=32"],
                              output_dir=tmp_path)
    datamodule = build_datamodule(cfg)
    assert datamodule.on_device is on_device  # the default (true) and the per-image option
    loader = datamodule.train_dataloader()
    assert isinstance(loader, DeviceBatchLoader) is on_device
    images, masks = next(iter(loader))
    assert images.shape == (32, 3, 32, 32) and images.dtype == torch.float32
    assert masks.shape == (32, 32, 32) and masks.dtype == torch.int64
    assert set(masks.unique().tolist()) <= set(range(6))
    val_images, val_masks = next(iter(datamodule.val_dataloader()))
    assert torch.equal(val_masks, datamodule.datasets["val"].masks[:32].long())  # no augmentation in validation
    assert val_images.shape == (32, 3, 32, 32)
