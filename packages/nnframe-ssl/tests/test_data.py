"""CIFAR-10, STL-10, Imagenette and ImageFolder data for SSL, from small files in each dataset's own
layout."""

from __future__ import annotations

import pickle
from pathlib import Path

import hydra
import numpy as np
import pytest
import torch
from PIL import Image

from nnframe.core.errors import DatasetError
from nnframe.core.testing import compose_task_config, write_imagenette
from nnframe.core.training.auto_preprocessing import resolve_auto_preprocessing
from nnframe.ssl._data import labelled_train_dataset

CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "horse", "ship", "truck", "frog"]
LOADER = ["data.num_workers=0", "data.persistent_workers=false", "data.pin_memory=false", "data.batch_size=4"]


def _write_cifar10(root: Path, per_batch: int = 4) -> None:
    """``cifar-10-batches-py/``: five training pickles, a test pickle and ``batches.meta``."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {"data": rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8),
                 "labels": [int(x) for x in rng.integers(0, 10, per_batch)]}
        (folder / name).write_bytes(pickle.dumps(batch))
    (folder / "batches.meta").write_bytes(pickle.dumps({"label_names": CLASSES}))


def _write_stl10(root: Path, n_train: int = 6, n_test: int = 4, n_unlabeled: int = 8) -> None:
    """``stl10_binary/``: uint8 (N, 3, 96, 96) column-major images, 1-based uint8 labels."""
    folder = root / "stl10_binary"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for split, n in (("train", n_train), ("test", n_test), ("unlabeled", n_unlabeled)):
        rng.integers(0, 256, (n, 3, 96, 96), dtype=np.uint8).tofile(folder / f"{split}_X.bin")
        if split != "unlabeled":
            (rng.integers(0, 10, n, dtype=np.uint8) + 1).tofile(folder / f"{split}_y.bin")
    (folder / "class_names.txt").write_text("\n".join(CLASSES) + "\n")


def _write_image_folder(root: Path) -> None:
    rng = np.random.default_rng(0)
    for split, n in (("train", 5), ("val", 2)):
        for cls in ("cat", "dog"):
            (root / split / cls).mkdir(parents=True)
            for i in range(n):
                pixels = rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)
                Image.fromarray(pixels).save(root / split / cls / f"{i}.png")


def _datamodule(tiny, overrides: list[str], run_dir: Path):
    cfg = compose_task_config("nnframe.ssl.configs", [*tiny("simclr", shapes=False), *overrides, *LOADER],
                              output_dir=run_dir)
    resolve_auto_preprocessing(cfg)  # data.normalization=auto
    datamodule = hydra.utils.instantiate(cfg.data)
    datamodule.prepare_data()
    datamodule.setup("fit")
    return datamodule


def _assert_views_and_eval_items(datamodule, size: int) -> None:
    views, _ = datamodule.datasets["train"][0]
    assert len(views) == 2 and all(v.shape == (3, size, size) for v in views)
    image, label = datamodule.datasets["val"][0]
    assert image.shape == (3, size, size) and image.dtype == torch.float32 and 0 <= label < datamodule.num_classes
    batch_views, _ = next(iter(datamodule.train_dataloader()))
    assert len(batch_views) == 2 and batch_views[0].shape == (4, 3, size, size)


def test_cifar10_from_python_pickles(tiny, tmp_path: Path, run_dir: Path) -> None:
    _write_cifar10(tmp_path / "data")
    datamodule = _datamodule(tiny, ["data=cifar10", f"data.root={tmp_path / 'data'}"], run_dir)
    assert len(datamodule.datasets["train"]) == 20 and len(datamodule.datasets["val"]) == 4
    assert datamodule.class_names == CLASSES
    _assert_views_and_eval_items(datamodule, 16)
    bank = labelled_train_dataset(datamodule)
    assert len(bank) == 20 and bank[0][0].shape == (3, 16, 16)  # eval transform: one tensor


def test_stl10_trains_on_unlabeled_plus_train_and_evaluates_on_labelled(tiny, tmp_path: Path, run_dir: Path) -> None:
    _write_stl10(tmp_path / "data")
    datamodule = _datamodule(tiny, ["data=stl10", f"data.root={tmp_path / 'data'}"], run_dir)
    assert len(datamodule.datasets["train"]) == 6 + 8  # train + unlabeled
    assert len(datamodule.datasets["val"]) == 4  # the test split
    _assert_views_and_eval_items(datamodule, 16)
    bank = labelled_train_dataset(datamodule)
    assert len(bank) == 6 and all(0 <= bank[i][1] < 10 for i in range(6))


def test_missing_stl10_names_the_download_option(tiny, tmp_path: Path, run_dir: Path) -> None:
    with pytest.raises(DatasetError, match="data.download=true"):
        _datamodule(tiny, ["data=stl10", f"data.root={tmp_path / 'nothing'}"], run_dir)


def test_image_folder(tiny, tmp_path: Path, run_dir: Path) -> None:
    _write_image_folder(tmp_path / "images")
    datamodule = _datamodule(tiny, ["data=image_folder", f"data.root={tmp_path / 'images'}"], run_dir)
    assert datamodule.class_names == ["cat", "dog"]
    assert len(datamodule.datasets["train"]) == 10 and len(datamodule.datasets["val"]) == 4
    _assert_views_and_eval_items(datamodule, 16)


def test_imagenette_through_torchvision(tiny, tmp_path: Path, run_dir: Path) -> None:
    write_imagenette(tmp_path / "data", per_class={"train": 4, "val": 2})  # 2 of the 10 classes
    datamodule = _datamodule(tiny, ["data=imagenette", f"data.root={tmp_path / 'data'}", "data.num_classes=2"],
                             run_dir)
    assert datamodule.class_names == ["tench", "English springer"]
    assert len(datamodule.datasets["train"]) == 8 and len(datamodule.datasets["val"]) == 4  # val split
    assert [datamodule.datasets["val"][i][1] for i in range(4)] == [0, 0, 1, 1]
    _assert_views_and_eval_items(datamodule, 16)
    bank = labelled_train_dataset(datamodule)
    assert len(bank) == 8 and sorted(bank[i][1] for i in range(8)) == [0] * 4 + [1] * 4


def test_imagenette_experiment_uses_the_torchvision_data(tiny, run_dir: Path) -> None:
    cfg = compose_task_config("nnframe.ssl.configs", [*tiny("simclr", shapes=False), "experiment=imagenette_resnet18"],
                              output_dir=run_dir)
    assert cfg.data.dataset == "imagenette_160" and cfg.data.download is False
    assert cfg.data.root == cfg.paths.data_dir and cfg.data.num_classes == 10


def test_missing_imagenette_names_the_download_option(tiny, tmp_path: Path, run_dir: Path) -> None:
    with pytest.raises(DatasetError, match=r"data.download=true.*imagenette2-160"):
        _datamodule(tiny, ["data=imagenette", f"data.root={tmp_path / 'nothing'}"], run_dir)
