"""Imagenette through torchvision's loader, from a tiny tree in the extracted archive's layout."""

from __future__ import annotations

from pathlib import Path

import pytest
import torchvision.transforms.v2 as T

from nnframe.core.data import TorchvisionDataModule
from nnframe.core.data.labelled.torchvision_datasets import TORCHVISION_DATASETS, load_torchvision_dataset
from nnframe.core.errors import DatasetError
from nnframe.core.testing import write_imagenette


def test_each_size_reads_its_own_folder(tmp_path: Path) -> None:
    assert {name: TORCHVISION_DATASETS[name].folder for name in ("imagenette", "imagenette_320", "imagenette_160")} \
        == {"imagenette": "imagenette2", "imagenette_320": "imagenette2-320", "imagenette_160": "imagenette2-160"}
    write_imagenette(tmp_path, folder="imagenette2-320", per_class={"train": 1, "val": 1})
    assert len(load_torchvision_dataset("imagenette_320", tmp_path, "train")) == 2
    with pytest.raises(DatasetError, match="imagenette2-160"):
        load_torchvision_dataset("imagenette_160", tmp_path, "train")


def test_datamodule_loads_train_and_val_as_val_and_test(tmp_path: Path) -> None:
    write_imagenette(tmp_path, per_class={"train": 3, "val": 2})
    transform = T.Compose([T.ToImage(), T.Resize((16, 16))])
    datamodule = TorchvisionDataModule(dataset="imagenette_160", root=tmp_path, image_size=16, batch_size=2,
                                       num_classes=2, train_transform=transform, eval_transform=transform)
    datamodule.setup()
    assert {split: len(ds) for split, ds in datamodule.datasets.items()} == {"train": 6, "val": 4, "test": 4}
    assert datamodule.class_names == ["tench", "English springer"]
    assert datamodule.datasets["train"].targets == [0, 0, 0, 1, 1, 1]
    image, label = datamodule.datasets["val"][3]
    assert tuple(image.shape) == (3, 16, 16) and label == 1


def test_missing_imagenette_names_the_download_option_and_archive(tmp_path: Path) -> None:
    datamodule = TorchvisionDataModule(dataset="imagenette_160", root=tmp_path / "data")
    with pytest.raises(DatasetError, match=r"data.download=true.*imagenette2-160\.tgz"):
        datamodule.setup("fit")


def test_missing_split_folder_is_a_dataset_error(tmp_path: Path) -> None:
    write_imagenette(tmp_path, per_class={"train": 1})
    with pytest.raises(DatasetError, match="cannot load imagenette_160"):
        load_torchvision_dataset("imagenette_160", tmp_path, "test")
