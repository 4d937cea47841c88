"""CIFAR-10, MNIST and ImageFolder load from small files in each dataset's own on-disk format."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from nnframe.core.data import ImageFolderDataModule, TorchvisionDataModule
from nnframe.core.errors import DatasetError
from nnframe.core.testing import compose_task_config, write_cifar10, write_image_folder, write_mnist


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
    stats = datamodule.data_report.splits["train"]
    assert stats.size_range()["median"] == (32, 32) and stats.modes == {"RGB": 40}


def test_cifar_batches_pickled_with_bytes_keys_are_named_with_the_fix(tmp_path: Path) -> None:
    import pickle

    folder = write_cifar10(tmp_path)
    for path in folder.iterdir():  # read with encoding="bytes" and saved again: b"data", b"labels"
        content = pickle.loads(path.read_bytes(), encoding="latin1")
        path.write_bytes(pickle.dumps({key.encode(): value for key, value in content.items()}))
    datamodule = TorchvisionDataModule("cifar10", root=tmp_path, **eval_only())
    with pytest.raises(DatasetError) as error:
        datamodule.setup("fit")
    message = str(error.value)
    assert f"{folder / 'data_batch_1'} was pickled with bytes keys" in message, message
    assert f"Delete {folder} and run with data.download=true" in message and "cifar-10-python.tar.gz" in message
    # The fix: the archive's files (str keys) extracted there again.
    write_cifar10(tmp_path)
    datamodule.setup("fit")
    assert len(datamodule.datasets["train"]) == 40


@pytest.mark.parametrize("gzipped", [True, False], ids=["gz as downloaded", "extracted"])
def test_mnist_loads_from_idx_files(tmp_path: Path, gzipped: bool) -> None:
    write_mnist(tmp_path, gzipped=gzipped)
    datamodule = TorchvisionDataModule("mnist", root=tmp_path, batch_size=5, in_channels=1,
                                       **eval_only(size=28, norm="mnist"))
    datamodule.setup("fit")
    images, labels = next(iter(datamodule.val_dataloader()))
    assert images.shape == (5, 1, 28, 28) and labels.tolist() == [0, 1, 2, 3, 4]
    assert datamodule.num_classes == 10
    assert datamodule.data_report.splits["train"].modes == {"L": 10}


def test_misplaced_mnist_files_are_found_and_named(tmp_path: Path) -> None:
    raw = write_mnist(tmp_path / "downloads")
    datamodule = TorchvisionDataModule("mnist", root=tmp_path, **eval_only(size=28, norm="mnist"))
    with pytest.raises(DatasetError, match=rf"found .*-idx\d-ubyte.gz in {raw}: move the files into "
                                           rf"{tmp_path / 'MNIST' / 'raw'}"):
        datamodule.setup("fit")
    (tmp_path / "MNIST").mkdir()
    raw.rename(tmp_path / "MNIST" / "raw")  # the fix: the files moved into MNIST/raw
    datamodule = TorchvisionDataModule("mnist", root=tmp_path, **eval_only(size=28, norm="mnist"))
    datamodule.setup("fit")
    assert len(datamodule.datasets["train"]) == 10


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


@pytest.mark.parametrize(("data", "folder", "files"), [
    ("cifar10", "cifar-10-batches-py", ["cifar-10-python.tar.gz", "data_batch_1", "test_batch", "batches.meta"]),
    ("mnist", "MNIST/raw", ["train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]),
])
def test_download_without_network_ends_in_one_line_with_where_to_put_the_files(
        data: str, folder: str, files: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from nnframe.core.cli import main
    from nnframe.core.testing import cut_network

    asked = cut_network(monkeypatch)
    code = main(["cls", "train", f"data={data}", "data.download=true", f"data.root={tmp_path}/data",
                 f"hydra.run.dir={tmp_path}/run"])
    captured = capsys.readouterr()
    output = captured.out + captured.err
    assert code == 2 and "Traceback" not in output and "urllib" not in output, output[-3000:]
    assert 1 <= len(asked) <= 2, asked  # one try per mirror: no retries
    (error,) = [line for line in output.splitlines() if line.startswith("nnframe: error:")]
    assert error.startswith(f"nnframe: error: cannot download {data}: ")
    assert f"{tmp_path}/data/{folder}" in error and all(name in error for name in files), error
    # Following it: the files put there by hand load, with data.download=true still set.
    (write_cifar10 if data == "cifar10" else write_mnist)(tmp_path / "data")
    datamodule = TorchvisionDataModule(data, root=tmp_path / "data", download=True, **eval_only())
    datamodule.prepare_data()
    datamodule.setup("fit")
    assert len(datamodule.datasets["train"]) > 0 and len(asked) <= 2


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


def test_image_folder_config_fills_num_classes_and_image_size(tmp_path: Path) -> None:
    from nnframe.core.training.instantiate import build_datamodule

    write_image_folder(tmp_path / "data" / "train", {"x": 3, "y": 3, "z": 3}, size=(48, 40))
    cfg = compose_task_config("nnframe.cls.configs", ["data=image_folder", f"data.root={tmp_path / 'data'}",
                                                      "data.num_workers=0"], output_dir=tmp_path / "run")
    datamodule = build_datamodule(cfg)
    assert cfg.data.num_classes == 3 and cfg.model.num_classes == 3
    assert cfg.data.image_size == 40 and datamodule.image_size == 40  # the median short side
    images, _ = next(iter(datamodule.train_dataloader()))
    assert images.shape[-2:] == (40, 40)
    assert any("data.image_size=auto -> 40 (median short side of the" in line
               for line in datamodule.data_report.resolved)


@pytest.mark.parametrize("data", ["cifar10", "mnist"])
def test_default_on_device_path_reads_the_files_as_the_per_image_path_does(data: str, tmp_path: Path) -> None:
    from nnframe.core.data.on_device.device_batch_loader import DeviceBatchLoader
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


def test_a_truncated_mnist_file_is_named_with_the_fix(tmp_path: Path) -> None:
    raw = write_mnist(tmp_path, gzipped=False)
    damaged = raw / "train-images-idx3-ubyte"
    damaged.write_bytes(damaged.read_bytes()[:-100])
    datamodule = TorchvisionDataModule("mnist", root=tmp_path, **eval_only(size=28, norm="mnist"))
    with pytest.raises(DatasetError) as error:
        datamodule.setup("fit")
    message = str(error.value)
    assert f"{damaged} is truncated" in message and f"Delete {damaged} and run again with data.download=true" in message
    # The fix: the file deleted, the download (here: the test's writer) fetches it again.
    damaged.unlink()
    write_mnist(tmp_path, gzipped=False)
    datamodule = TorchvisionDataModule("mnist", root=tmp_path, **eval_only(size=28, norm="mnist"))
    datamodule.setup("fit")
    assert len(datamodule.datasets["train"]) == 10
