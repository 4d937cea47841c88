"""CIFAR-10, MNIST and ImageFolder load from small files in each dataset's own on-disk format."""

from __future__ import annotations

import pickle
import struct
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from nnframe.core.data import ImageFolderDataModule, TorchvisionDataModule
from nnframe.core.errors import DatasetError
from nnframe.core.testing import compose_task_config


def write_cifar10(root: Path, per_batch: int = 8) -> np.ndarray:
    """The python-pickle layout of cifar-10-batches-py with ``per_batch`` images per file."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    labels_all = []
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, size=(per_batch, 3 * 32 * 32), dtype=np.uint8)
        labels = rng.integers(0, 10, size=per_batch).tolist()
        labels_all += labels
        with open(folder / name, "wb") as handle:
            pickle.dump({"data": data, "labels": labels, "batch_label": name}, handle)
    names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    with open(folder / "batches.meta", "wb") as handle:
        pickle.dump({"label_names": names}, handle)
    return np.array(labels_all)


def write_mnist(root: Path, count: int = 10) -> None:
    """The raw idx files of MNIST (uncompressed, as torchvision keeps them)."""
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix in ("train", "t10k"):
        images = rng.integers(0, 256, size=(count, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=count, dtype=np.uint8)
        (raw / f"{prefix}-images-idx3-ubyte").write_bytes(struct.pack(">IIII", 2051, count, 28, 28) + images.tobytes())
        (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(struct.pack(">II", 2049, count) + labels.tobytes())


def eval_only(**kwargs):
    from nnframe.core.cv_tools import classification_eval_transform

    return dict(eval_transform=classification_eval_transform(kwargs.pop("size", 32), kwargs.pop("norm", "cifar10")),
                train_transform=classification_eval_transform(32, "cifar10"), **kwargs)


def test_cifar10_loads_from_its_pickle_batches(tmp_path: Path) -> None:
    write_cifar10(tmp_path)
    datamodule = TorchvisionDataModule("cifar10", root=tmp_path, batch_size=4, num_classes=10, **eval_only())
    datamodule.setup("fit")
    assert len(datamodule.datasets["train"]) == 40 and len(datamodule.datasets["val"]) == 8
    assert datamodule.class_names[0] == "airplane"
    images, labels = next(iter(datamodule.train_dataloader()))
    assert images.shape == (4, 3, 32, 32) and images.dtype == torch.float32
    assert labels.dtype == torch.int64
    assert sum(datamodule.summary()["counts"]["train"]) == 40


def test_mnist_loads_from_idx_files(tmp_path: Path) -> None:
    write_mnist(tmp_path)
    datamodule = TorchvisionDataModule("mnist", root=tmp_path, batch_size=5, in_channels=1,
                                       **eval_only(size=28, norm="mnist"))
    datamodule.setup("fit")
    images, _ = next(iter(datamodule.val_dataloader()))
    assert images.shape == (5, 1, 28, 28)
    assert datamodule.num_classes == 10


def test_missing_dataset_folder_gives_download_hint(tmp_path: Path) -> None:
    datamodule = TorchvisionDataModule("cifar10", root=tmp_path / "nowhere", **eval_only())
    with pytest.raises(DatasetError, match=r"cifar-10-batches-py.*data\.download=true"):
        datamodule.setup("fit")


def test_missing_dataset_folder_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from nnframe.core.cli import main

    code = main(["cls", "train", "experiment=cifar10_resnet18", f"paths.data_dir={tmp_path}/empty",
                 f"hydra.run.dir={tmp_path}/run", "extras.print_config=false"])
    assert code == 2
    assert "data.download=true" in capsys.readouterr().err


def write_image_folder(root: Path, classes: dict[str, int]) -> None:
    rng = np.random.default_rng(0)
    for name, count in classes.items():
        (root / name).mkdir(parents=True)
        for i in range(count):
            Image.fromarray(rng.integers(0, 256, size=(20, 24, 3), dtype=np.uint8)).save(root / name / f"{i}.png")


def test_image_folder_with_train_and_val(tmp_path: Path) -> None:
    write_image_folder(tmp_path / "train", {"cat": 6, "dog": 4})
    write_image_folder(tmp_path / "val", {"cat": 2, "dog": 2})
    datamodule = ImageFolderDataModule(tmp_path, batch_size=4, **eval_only())
    datamodule.setup("fit")
    assert datamodule.class_names == ["cat", "dog"]
    assert datamodule.summary()["counts"] == {"train": [6, 4], "val": [2, 2]}
    images, labels = next(iter(datamodule.val_dataloader()))
    assert images.shape == (4, 3, 32, 32) and labels.tolist() == [0, 0, 1, 1]


def test_image_folder_holds_out_validation_without_val_folder(tmp_path: Path) -> None:
    write_image_folder(tmp_path / "train", {"a": 10, "b": 10})
    datamodule = ImageFolderDataModule(tmp_path, val_fraction=0.2, **eval_only())
    datamodule.setup("fit")
    assert len(datamodule.datasets["train"]) == 16 and len(datamodule.datasets["val"]) == 4


def test_image_folder_classes_differing_between_splits(tmp_path: Path) -> None:
    write_image_folder(tmp_path / "train", {"cat": 2, "dog": 2})
    write_image_folder(tmp_path / "val", {"cat": 2, "cow": 2})
    with pytest.raises(DatasetError, match=r"only in val: \['cow'\]; only in train: \['dog'\]"):
        ImageFolderDataModule(tmp_path, **eval_only()).setup("fit")


def test_image_folder_config_fills_num_classes(tmp_path: Path) -> None:
    from nnframe.core.training.instantiate import build_datamodule

    write_image_folder(tmp_path / "data" / "train", {"x": 3, "y": 3, "z": 3})
    cfg = compose_task_config("nnframe.cls.configs", ["data=image_folder", f"data.root={tmp_path / 'data'}",
                                                      "data.num_workers=0", "data.image_size=32"],
                              output_dir=tmp_path / "run")
    build_datamodule(cfg)
    assert cfg.data.num_classes == 3 and cfg.model.num_classes == 3


@pytest.mark.parametrize("data", ["cifar10", "mnist"])
def test_default_on_device_path_reads_the_files_as_the_per_image_path_does(data: str, tmp_path: Path) -> None:
    from nnframe.core.data.device_batch_loader import DeviceBatchLoader
    from nnframe.core.training.instantiate import build_datamodule

    write_cifar10(tmp_path) if data == "cifar10" else write_mnist(tmp_path)
    batches = {}
    for on_device in (True, False):
        cfg = compose_task_config("nnframe.cls.configs", [
            f"data={data}", f"data.root={tmp_path}", f"data.on_device={str(on_device).lower()}", "data.batch_size=4",
            "data.num_workers=0", "data.persistent_workers=false", "data.pin_memory=false"], output_dir=tmp_path / "run")
        datamodule = build_datamodule(cfg)
        assert isinstance(datamodule.train_dataloader(), DeviceBatchLoader) is on_device
        batches[on_device] = next(iter(datamodule.val_dataloader()))
    (device_images, device_labels), (images, labels) = batches[True], batches[False]
    assert device_images.shape == images.shape and torch.equal(device_labels, labels)
    assert torch.allclose(device_images, images, atol=1e-5)  # the same files, the same normalisation
