"""Masks named as real datasets name them pair with their images: by suffix (CamVid's
``X_L.png``, Cityscapes' ``X_gtFine_labelIds.png``, ``X_mask.png``) or by a mapping CSV; images
without a mask are named with the key that pairs them; photos stored sideways (EXIF orientation)
align with masks drawn on their upright view."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nnframe.core.errors import ConfigError, DatasetError
from nnframe.core.testing import write_rotated_jpeg
from nnframe.seg.data import MaskFolderDataModule


def _square(index: int, width: int = 48, height: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """A red block on grey and its mask (1 under the block); the block moves with ``index``."""
    image = np.full((height, width, 3), 40, np.uint8)
    mask = np.zeros((height, width), np.uint8)
    top, left = index % 3 * 4, index % 4 * 6
    image[top:top + height // 2, left:left + width // 2] = (230, 30, 30)
    mask[top:top + height // 2, left:left + width // 2] = 1
    return image, mask


def _write(root: Path, count: int, image_name: str = "{i:03d}.png", mask_name: str = "{i:03d}.png",
           masks_dir: str = "masks") -> Path:
    for i in range(count):
        image, mask = _square(i)
        for folder, name, array in (("images", image_name, image), (masks_dir, mask_name, mask)):
            path = root / "train" / folder / name.format(i=i)
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(array).save(path)
    return root


def _pairs(datamodule: MaskFolderDataModule) -> list[tuple[str, str]]:
    """Every ``(image, mask)`` file name pair of train and its held-out val, once checked."""
    datamodule.setup_splits(["train", "val"])
    return sorted((image.name, mask.name) for split in ("train", "val")
                  for image, mask in datamodule.datasets[split].sample_files())


@pytest.mark.parametrize(("image_name", "mask_name", "keys"), [
    ("{i:03d}.png", "{i:03d}_L.png", {"mask_suffix": "_L.png"}),  # CamVid
    ("{i:03d}.jpg", "{i:03d}_mask.png", {"mask_suffix": "_mask.png"}),
    ("aachen_{i:06d}_leftImg8bit.png", "aachen_{i:06d}_gtFine_labelIds.png",  # Cityscapes
     {"mask_suffix": "_gtFine_labelIds.png", "image_suffix": "_leftImg8bit.png"}),
])
def test_masks_named_with_a_suffix_pair_once_it_is_set_and_the_message_names_it(
        tmp_path: Path, image_name: str, mask_name: str, keys: dict[str, str]) -> None:
    _write(tmp_path, 6, image_name, mask_name)
    with pytest.raises(DatasetError) as error:
        _pairs(MaskFolderDataModule(root=tmp_path, num_classes=2, val_fraction=0.25))
    message = str(error.value)
    assert "no mask for image" in message and image_name.format(i=0) in message
    setting = " ".join(f"data.{key}={value}" for key, value in keys.items())
    assert f"set {setting} (pairs 6 of these 6 images" in message
    pairs = _pairs(MaskFolderDataModule(root=tmp_path, num_classes=2, val_fraction=0.25, **keys))
    assert pairs == sorted((image_name.format(i=i), mask_name.format(i=i)) for i in range(6))


def test_a_suffix_without_its_extension_is_refused_with_a_value_that_works(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"data.mask_suffix='_L' must .* data.mask_suffix=_L.png"):
        MaskFolderDataModule(root=tmp_path, num_classes=2, mask_suffix="_L")


def test_a_mapping_csv_pairs_images_with_masks_anywhere(tmp_path: Path) -> None:
    _write(tmp_path, 4, "{i:03d}.png", "label_{i}.png", masks_dir="../labels")
    rows = ["image,mask"] + [f"train/images/{i:03d}.png,labels/label_{i}.png" for i in range(4)]
    (tmp_path / "pairs.csv").write_text("\n".join(rows) + "\n")
    datamodule = MaskFolderDataModule(root=tmp_path, num_classes=2, val_fraction=0.25,
                                      mask_map=str(tmp_path / "pairs.csv"))
    assert _pairs(datamodule) == [(f"{i:03d}.png", f"label_{i}.png") for i in range(4)]
    # an image the CSV forgets is named, with the file to add it to
    (tmp_path / "pairs.csv").write_text("\n".join(rows[:-1]) + "\n")
    with pytest.raises(DatasetError) as error:
        _pairs(MaskFolderDataModule(root=tmp_path, num_classes=2, val_fraction=0.25,
                                    mask_map=str(tmp_path / "pairs.csv")))
    message = str(error.value)
    assert "no mask for image" in message and "003.png" in message
    assert f"not in data.mask_map={tmp_path / 'pairs.csv'}: add an image,mask row" in message


def test_a_mapping_csv_without_its_columns_says_what_it_needs(tmp_path: Path) -> None:
    _write(tmp_path, 2)
    (tmp_path / "pairs.csv").write_text("img,label\na.png,b.png\n")
    with pytest.raises(DatasetError, match="has no column 'image' and no column 'mask'.*header row 'image,mask'"):
        _pairs(MaskFolderDataModule(root=tmp_path, num_classes=2, mask_map=str(tmp_path / "pairs.csv")))


def test_masks_named_unlike_their_images_get_every_way_to_pair_them(tmp_path: Path) -> None:
    _write(tmp_path, 3, "{i:03d}.png", "label{i}.png")
    with pytest.raises(DatasetError) as error:
        _pairs(MaskFolderDataModule(root=tmp_path, num_classes=2, val_fraction=0.25))
    assert "data.mask_suffix=<end of the mask file names>" in str(error.value)
    assert "data.mask_map=<csv>" in str(error.value)


def test_a_sideways_photo_aligns_with_its_upright_mask(tmp_path: Path) -> None:
    _write(tmp_path, 4)
    for i in (0, 1):  # as a phone stores them: pixels turned, orientation tag (non-square: sizes swap)
        image, _ = _square(i)
        (tmp_path / "train" / "images" / f"{i:03d}.png").unlink()
        write_rotated_jpeg(tmp_path / "train" / "images" / f"{i:03d}.jpg", Image.fromarray(image), 6 + 2 * i)
    datamodule = MaskFolderDataModule(root=tmp_path, num_classes=2, val_fraction=0.25)
    datamodule.setup_splits(["train", "val"])  # no "mask is 48x32 but image is 32x48"
    assert [datamodule.data_report.splits[s].sizes for s in ("train", "val")] == [[(48, 32)] * 3, [(48, 32)]]
    for dataset in datamodule.datasets.values():
        for index in range(len(dataset)):
            image, mask = dataset.load(index)
            red = np.asarray(image)[..., 0] > 128  # the red block lands where the mask says
            assert (red == (np.asarray(mask) == 1)).mean() > 0.97


def test_predicted_masks_of_a_sideways_photo_have_its_upright_size(tmp_path: Path) -> None:
    import torch

    from nnframe.seg.prediction_writer import SegmentationPredictionWriter

    image, _ = _square(0)
    path = write_rotated_jpeg(tmp_path / "photo.jpg", Image.fromarray(image), 6)  # stored 32x48, shown 48x32
    writer = SegmentationPredictionWriter(tmp_path / "out", ["background", "block"])
    prediction = {"mask": torch.zeros(1, 16, 16, dtype=torch.long), "confidence": torch.ones(1, 16, 16)}
    (row,) = writer.rows(prediction, [path])
    assert row[2:4] == [48, 32]
    assert Image.open(row[1]).size == (48, 32)  # lies on the photo as a viewer shows it


def test_a_mask_drawn_on_the_sideways_pixels_is_named_as_turned(tmp_path: Path) -> None:
    _write(tmp_path, 4)
    image, mask = _square(0)
    (tmp_path / "train" / "images" / "000.png").unlink()
    write_rotated_jpeg(tmp_path / "train" / "images" / "000.jpg", Image.fromarray(image), 6)
    Image.fromarray(np.ascontiguousarray(np.rot90(mask))).save(tmp_path / "train" / "masks" / "000.png")
    with pytest.raises(DatasetError) as error:
        _pairs(MaskFolderDataModule(root=tmp_path, num_classes=2, val_fraction=0.25))
    assert "000.png: 32x48, but its image" in str(error.value) and "is 48x32 (turned by 90 degrees" in str(error.value)
