"""Photos as they come off phones and disks: images read as a viewer shows them (EXIF
orientation, in the data, in the pre-flight sizes and in prediction), symlinked subfolders
followed (a loop guarded), ``.jfif`` files read as the JPEGs they are."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from torchvision.datasets import ImageFolder

from nnframe.core.data import (
    ImageFileDataset,
    ImageFolderDataModule,
    list_image_files,
    load_image,
    probe_file,
    upright_size,
)
from nnframe.core.data.checks.file_scan import scan_files
from nnframe.core.testing import write_image, write_rotated_jpeg


def _upright(width: int = 64, height: int = 40) -> np.ndarray:
    """A non-square picture with a red block in its top-right corner: any turn moves it."""
    pixels = np.full((height, width, 3), 40, np.uint8)
    pixels[2:height // 2, width - width // 3:width - 2] = (230, 30, 30)
    return pixels


def _close(image: Image.Image, expected: np.ndarray) -> bool:
    array = np.asarray(image.convert("RGB")).astype(int)
    return array.shape == expected.shape and float(np.abs(array - expected).mean()) < 4  # JPEG's small error


@pytest.mark.parametrize("orientation", range(2, 9))
def test_load_image_turns_a_photo_upright_as_a_viewer_does(tmp_path: Path, orientation: int) -> None:
    upright = _upright()
    path = write_rotated_jpeg(tmp_path / "photo.jpg", Image.fromarray(upright), orientation)
    with Image.open(path) as raw:
        assert raw.size == ((40, 64) if orientation >= 5 else (64, 40))  # stored sideways for 5..8
        assert not _close(raw, upright)
    assert _close(load_image(path), upright)
    assert _close(load_image(path, "L").convert("RGB"), np.asarray(Image.fromarray(upright).convert("L").convert("RGB")))


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_pre_flight_sizes_are_the_upright_sizes(tmp_path: Path, orientation: int) -> None:
    image = Image.fromarray(_upright())
    path = (write_rotated_jpeg(tmp_path / "photo.jpg", image, orientation) if orientation > 1
            else tmp_path / "photo.png")
    if orientation == 1:
        image.save(path)
    info = probe_file(path)
    assert (info.width, info.height) == (64, 40) and info.problem is None
    assert (info.width, info.height) == load_image(path).size
    with Image.open(path) as opened:
        assert upright_size(opened) == (64, 40)
    (cached,) = scan_files([path]).values()  # the cache holds the upright size too
    assert (cached.width, cached.height) == (64, 40)


def test_a_damaged_exif_block_reads_the_pixels_as_stored(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    Image.fromarray(_upright()).save(path, "JPEG", quality=95, exif=b"Exif\x00\x00II*\x00garbage")
    assert _close(load_image(path), _upright())
    assert (probe_file(path).width, probe_file(path).height) == (64, 40)


def test_a_class_folder_photo_with_orientation_6_is_fed_upright(tmp_path: Path) -> None:
    upright = _upright()
    write_rotated_jpeg(tmp_path / "train" / "cat" / "phone.jpg", Image.fromarray(upright), 6)
    write_image(tmp_path / "train" / "dog" / "other.png", (64, 40))
    datamodule = ImageFolderDataModule(root=tmp_path, image_size=32, batch_size=2, val_fraction=0.0)
    datamodule.setup_splits(["train"])
    dataset = datamodule.datasets["train"]
    index = next(i for i, (path, _) in enumerate(dataset.samples) if path.name == "phone.jpg")
    image, _ = dataset.load(index)
    assert _close(image, upright)
    assert datamodule.data_report.splits["train"].sizes == [(64, 40), (64, 40)]  # the summary's sizes, upright
    predict = ImageFileDataset(tmp_path / "train" / "cat")  # what `predict` reads
    assert _close(predict[0][0], upright)


def test_jfif_and_jpe_files_are_read_as_jpeg_images(tmp_path: Path) -> None:
    for name in ("a.jfif", "b.jpe", "c.JFIF"):
        Image.fromarray(_upright()).save(tmp_path / name, "JPEG", quality=95)
    images, ignored = list_image_files(tmp_path)
    assert [p.name for p in images] == ["a.jfif", "b.jpe", "c.JFIF"] and not ignored
    assert all(probe_file(p).format == "JPEG" and _close(load_image(p), _upright()) for p in images)


def _linked_class_folders(root: Path) -> Path:
    """``root/train/{cat,dog}`` where cat holds 2 images and a symlink to a folder of 3 more."""
    write_image(root / "train" / "cat" / "own_0.png")
    write_image(root / "train" / "cat" / "own_1.png")
    for i in range(3):
        write_image(root / "elsewhere" / "more_cats" / f"{i}.png")
    os.symlink(root / "elsewhere" / "more_cats", root / "train" / "cat" / "linked")
    for i in range(2):
        write_image(root / "train" / "dog" / f"{i}.png")
    return root / "train"


def test_a_symlinked_subfolder_is_followed_and_counted_as_torchvision_does(tmp_path: Path) -> None:
    train = _linked_class_folders(tmp_path)
    reference = ImageFolder(str(train))
    assert len(reference) == 7
    datamodule = ImageFolderDataModule(root=tmp_path, image_size=16, batch_size=2, val_fraction=0.0)
    datamodule.setup_splits(["train"])
    assert datamodule.data_report.splits["train"].samples == len(reference)
    assert datamodule.datasets["train"].label_counts() == [5, 2]
    assert datamodule.summary()["splits"]["train"] == 7


def test_a_symlink_loop_is_not_followed_and_is_listed(tmp_path: Path) -> None:
    train = _linked_class_folders(tmp_path)
    os.symlink(train / "cat", train / "cat" / "loop")  # a link to the folder it is in
    os.symlink(train, train / "cat" / "split")  # to the split folder: would read every class into cat
    os.symlink(tmp_path / "elsewhere", tmp_path / "elsewhere" / "more_cats" / "up")  # a loop through the link
    images, ignored = list_image_files(train / "cat")
    assert len(images) == 5
    reasons = dict(ignored)
    assert "a loop" in reasons[str(train / "cat" / "loop")]
    assert "a loop" in reasons[str(train / "cat" / "split")]
    assert "a loop" in reasons[str(train / "cat" / "linked" / "up" / "more_cats")]
    datamodule = ImageFolderDataModule(root=tmp_path, image_size=16, batch_size=2, val_fraction=0.0)
    datamodule.setup_splits(["train"])
    assert datamodule.datasets["train"].label_counts() == [5, 2]


def _grey_16(path: Path, top: int, seed: int) -> None:
    values = np.random.default_rng(seed).integers(0, top + 1, (20, 24)).astype(np.uint16)
    values[0, 0] = top  # a 12-bit sensor's brightest value
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(values).save(path)


@pytest.mark.parametrize(("top", "noted"), [(4095, True), (65535, False)])
def test_12_bit_data_in_16_bit_pngs_gets_a_note_with_its_range(tmp_path: Path, top: int, noted: bool) -> None:
    for label in ("a", "b"):
        for i in range(3):
            _grey_16(tmp_path / "train" / label / f"{i}.png", top, seed=i)
    datamodule = ImageFolderDataModule(root=tmp_path, image_size=16, batch_size=2)
    datamodule.setup_splits(["train", "val"])
    notes = [n for n in datamodule.data_report.notes if "stored as 16-bit hold values up to" in n]
    assert bool(notes) == noted
    if noted:
        assert "up to 4095" in notes[0] and "12-bit data" in notes[0] and "reach only 16 of 255" in notes[0]
        assert "value * 255 / 4095" in notes[0]
