"""Bad image folders fail before training with a message naming the problem and the fix."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from PIL import Image

from nnframe.core.data import ImageFolderDataModule, ImageFolderDataset
from nnframe.core.errors import DatasetError


def _images(folder: Path, classes: tuple[str, ...], per_class: int = 3) -> Path:
    for index, name in enumerate(classes):
        (folder / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            Image.new("RGB", (16, 16), (40 * index, 10 * i, 0)).save(folder / name / f"{i}.png")
    return folder


def _datamodule(root: Path, **kwargs) -> ImageFolderDataModule:
    return ImageFolderDataModule(root=root, image_size=16, batch_size=2, **kwargs)


def test_missing_dataset_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=rf"dataset folder not found: {tmp_path / 'nope'}.*data.root"):
        _datamodule(tmp_path / "nope").setup("fit")


@pytest.mark.parametrize("layout", ["no train folder", "no class folders", "no images"])
def test_empty_dataset_folder_is_named(tmp_path: Path, layout: str) -> None:
    if layout != "no train folder":
        (tmp_path / "train").mkdir()
    if layout == "no images":
        (tmp_path / "train" / "cat").mkdir()
    with pytest.raises(DatasetError, match=r"train"):
        _datamodule(tmp_path).setup("fit")


def test_corrupt_image_is_named_or_skipped_with_a_count(tmp_path: Path) -> None:
    root = _images(tmp_path / "train", ("cat", "dog"))
    bad = root / "dog" / "broken.png"
    bad.write_bytes(b"\x89PNG not really an image")
    dataset = ImageFolderDataset(root)
    index = [str(path) for path, _ in dataset.samples].index(str(bad))
    with pytest.raises(DatasetError, match=rf"cannot read image {bad}.*data.skip_corrupt=true"):
        dataset[index]

    skipping = ImageFolderDataset(root, skip_corrupt=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        images = [skipping[i] for i in range(len(skipping))]
    assert len(images) == 7
    assert [str(w.message) for w in caught] == [f"skipping unreadable image {bad} (1 skipped so far)"]


def test_classes_that_differ_between_splits_are_listed(tmp_path: Path) -> None:
    _images(tmp_path / "train", ("cat", "dog"))
    _images(tmp_path / "val", ("cat", "cow"))
    with pytest.raises(DatasetError, match=r"only in val: \['cow'\]; only in train: \['dog'\]"):
        _datamodule(tmp_path).setup("fit")


def test_num_classes_that_disagrees_with_the_data(tmp_path: Path) -> None:
    _images(tmp_path / "train", ("cat", "dog"))
    message = r"data.num_classes=3 but the dataset has 2 classes.*data.num_classes=2"
    with pytest.raises(DatasetError, match=message):
        _datamodule(tmp_path, num_classes=3).setup("fit")


def test_corrupt_image_read_in_a_dataloader_worker_is_shown_without_the_worker_traceback(tmp_path: Path) -> None:
    from torch.utils.data import DataLoader

    from nnframe.core.errors import user_message

    root = _images(tmp_path / "train", ("cat",), per_class=1)
    bad = root / "cat" / "0.png"
    bad.write_bytes(b"garbage")
    with pytest.raises(DatasetError) as error:
        next(iter(DataLoader(ImageFolderDataset(root), num_workers=1)))
    assert "Original Traceback" in str(error.value)
    assert user_message(error.value).startswith(f"cannot read image {bad}")
