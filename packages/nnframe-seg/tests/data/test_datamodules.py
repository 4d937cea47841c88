"""Pets, VOC and mask folders load from files in their own layout, with labels checked on load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from nnframe.core.errors import DatasetError
from nnframe.seg.data import MaskFolderDataModule, OxfordPetDataModule, VOCSegmentationDataModule
from nnframe.seg.transforms import segmentation_eval_transform

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
    table = datamodule.summary()["report"].tables["pixels per class"]
    assert [row[0] for row in table["rows"]] == ["0: background", "1: pet", "255: ignored"]
    assert table["columns"][1:] == ("train (8 masks)", "val (2 masks)", "test (2 masks)")


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


def test_mask_value_beyond_num_classes_fails_before_training_naming_file_and_value(tmp_path: Path) -> None:
    _mask_folder(tmp_path, [0, 1, 2])
    write_mask(tmp_path / "train" / "masks" / "003.png", block_mask([0, 1, 7]))
    datamodule = MaskFolderDataModule(root=tmp_path, num_classes=3, val_fraction=0.2)
    with pytest.raises(DatasetError) as error:
        datamodule.setup("fit")
    message = str(error.value)
    assert "003.png: value 7" in message and "data.num_classes=3 allows 0..2" in message


def test_missing_masks_and_wrong_sizes_are_all_listed_before_training(tmp_path: Path) -> None:
    _mask_folder(tmp_path, [0, 1])
    (tmp_path / "train" / "masks" / "002.png").unlink()
    write_image(tmp_path / "train" / "images" / "004.jpg", size=(10, 10))
    write_mask(tmp_path / "train" / "masks" / "004.png", block_mask([0, 1]))
    with pytest.raises(DatasetError) as error:
        MaskFolderDataModule(root=tmp_path, num_classes=2).setup("fit")
    message = str(error.value)
    assert f"{tmp_path / 'train/masks/002.png'}: no mask for image {tmp_path / 'train/images/002.jpg'}" in message
    assert "004.png: 24x20, but its image" in message and "004.jpg is 10x10" in message


def _setup(root: Path, **kwargs) -> MaskFolderDataModule:
    datamodule = MaskFolderDataModule(root=root, **{"val_fraction": 0.2, **kwargs})
    datamodule.setup_splits(["train", "val", "test"])
    return datamodule


def test_masks_of_only_0_and_255_with_many_classes_stop_with_both_fixes(tmp_path: Path) -> None:
    _mask_folder(tmp_path, [0, 255], count=5)
    with pytest.raises(DatasetError) as error:
        _setup(tmp_path, num_classes=11)
    message = str(error.value)
    assert "only the values 0 and 255" in message and "every foreground pixel would be ignored" in message
    assert "data.num_classes=2" in message and "data.binary_255=true" in message
    binary = _setup(tmp_path, num_classes=2)  # the first fix
    assert set(binary.datasets["train"].load_mask(0).unique().tolist()) == {0, 1}
    kept = _setup(tmp_path, num_classes=11, binary_255=True)  # the second
    assert set(kept.datasets["train"].load_mask(0).unique().tolist()) == {0, 1}
    assert any("classes have no pixels in train" in note for note in kept.data_report.notes)


def test_palette_masks_grey_masks_and_the_ignored_fraction(tmp_path: Path) -> None:
    _mask_folder(tmp_path, [0, 1, 255, 255], count=4)
    for i in range(4):
        write_mask(tmp_path / "train" / "masks" / f"{i:03d}.png", block_mask([0, 1, 255, 255]), palette=i % 2 == 0)
    datamodule = _setup(tmp_path, num_classes=2, val_fraction=0.25)
    table = datamodule.data_report.tables["pixels per class"]
    assert table["rows"][-1] == ["255: ignored", "50.00%", "50.00%", "50.00%"]
    assert not any("ignored" in note for note in datamodule.data_report.notes)  # half is not "most"


def _colour_masks(root: Path, colours: list[tuple[int, int, int]], count: int = 4) -> None:
    for i in range(count):
        write_image(root / "train" / "images" / f"{i}.png", seed=i)
        mask = np.zeros((20, 24, 3), np.uint8)
        for j, colour in enumerate(colours):
            mask[:, j * 24 // len(colours):(j + 1) * 24 // len(colours)] = colour
        (root / "train" / "masks").mkdir(parents=True, exist_ok=True)
        Image.fromarray(mask).save(root / "train" / "masks" / f"{i}.png")


def test_voc_coloured_masks_need_a_palette_and_map_with_palette_voc(tmp_path: Path) -> None:
    from nnframe.seg.data import voc_colormap

    colours = voc_colormap()
    _colour_masks(tmp_path, [tuple(colours[0]), tuple(colours[15]), tuple(colours[255])])  # background, person, border
    with pytest.raises(DatasetError, match=r"(?s)RGB colour images, not class indices.*colours \(0, 0, 0\), "
                                           r"\(192, 128, 128\), \(224, 224, 192\).*data.palette=voc"):
        _setup(tmp_path, num_classes=21)
    datamodule = _setup(tmp_path, palette="voc", val_fraction=0.25)
    assert datamodule.num_classes == 21 and datamodule.class_names[15] == "person"
    assert set(datamodule.datasets["train"].load_mask(0).unique().tolist()) == {0, 15, 255}


def test_camvid_palette_and_custom_palettes_and_unknown_colours(tmp_path: Path) -> None:
    _colour_masks(tmp_path, [(128, 64, 128), (128, 128, 128), (0, 0, 0)])  # Road, Sky, Void
    camvid = _setup(tmp_path, palette="camvid", val_fraction=0.25)
    assert camvid.num_classes == 31
    road, sky = camvid.class_names.index("Road"), camvid.class_names.index("Sky")
    assert set(camvid.datasets["train"].load_mask(0).unique().tolist()) == {road, sky, 255}
    custom = _setup(tmp_path, palette=[[0, 0, 0], [128, 64, 128], [128, 128, 128]], val_fraction=0.25)
    assert custom.class_names == ["background", "class_1", "class_2"]
    with pytest.raises(DatasetError, match=r"(?s)colours that data.palette does not list.*colour \(128, 128, 128\)"):
        _setup(tmp_path, palette=[[0, 0, 0], [128, 64, 128]], val_fraction=0.25)


def test_lossy_masks_are_refused_by_name_and_png_masks_work(tmp_path: Path) -> None:
    _mask_folder(tmp_path, [0, 1, 2], count=4)
    for mask in (tmp_path / "train" / "masks").glob("*.png"):
        Image.open(mask).save(mask.with_suffix(".jpg"))
        mask.unlink()
    with pytest.raises(DatasetError) as error:
        _setup(tmp_path, num_classes=3)
    message = str(error.value)
    assert "lossy format" in message and "000.jpg: a JPEG file (lossy)" in message
    assert "save the label maps as PNG" in message and "num_classes" not in message.split("Fix:")[1]
    for mask in (tmp_path / "train" / "masks").glob("*.jpg"):  # the fix: the original label maps as PNG
        mask.unlink()
    _mask_folder(tmp_path, [0, 1, 2], count=4)
    assert _setup(tmp_path, num_classes=3).num_classes == 3


def test_layout_errors_show_the_tree_and_the_key(tmp_path: Path) -> None:
    for i in range(4):
        write_image(tmp_path / "images" / f"{i}.png")
        write_mask(tmp_path / "masks" / f"{i}.png", block_mask([0, 1]))
    (tmp_path / "masks" / "._0.png").write_bytes(b"\x00\x05\x16\x07")
    with pytest.raises(DatasetError, match=r"(?s)holds images/ directly: set data.train_dir=\..*expected layout:"):
        _setup(tmp_path, num_classes=2)
    datamodule = _setup(tmp_path, num_classes=2, train_dir=".", val_fraction=0.25)
    assert len(datamodule.datasets["train"]) == 3
    assert [Path(p).name for p, _ in datamodule.data_report.splits["train"].ignored] == ["._0.png"]


def test_other_folder_names_are_set_with_images_dir_and_masks_dir(tmp_path: Path) -> None:
    for i in range(4):
        write_image(tmp_path / "train" / "img" / f"{i}.png")
        write_mask(tmp_path / "train" / "label" / f"{i}.png", block_mask([0, 1]))
    with pytest.raises(DatasetError, match=r"holds img/, label/: name the image and mask folders with "
                                           r"data.images_dir=... data.masks_dir=..."):
        _setup(tmp_path, num_classes=2)
    assert len(_setup(tmp_path, num_classes=2, images_dir="img", masks_dir="label", val_fraction=0.25)
               .datasets["train"]) == 3


def test_grey_images_load_with_one_channel(tmp_path: Path) -> None:
    _mask_folder(tmp_path, [0, 1], count=4)
    datamodule = _setup(tmp_path, num_classes=2, in_channels=1, val_fraction=0.25,
                        train_transform=segmentation_eval_transform(32, "imagenet", in_channels=1))
    image, mask = datamodule.datasets["train"][0]
    assert image.shape == (1, 32, 32) and mask.shape == (32, 32)


@pytest.mark.parametrize("on_device", [True, False])
def test_default_shapes_masks_on_the_device_and_per_image(on_device: bool, tmp_path: Path) -> None:
    from nnframe.core.data.on_device.device_batch_loader import DeviceBatchLoader
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


@pytest.mark.parametrize(("module", "names"), [
    (VOCSegmentationDataModule, ["VOCtrainval_11-May-2012.tar", "VOCdevkit/VOC2012", "SegmentationClass/"]),
    (OxfordPetDataModule, ["images.tar.gz", "annotations.tar.gz", "oxford-iiit-pet"]),
])
def test_download_without_network_says_where_to_put_the_files(module, names: list[str], tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from nnframe.core.testing import cut_network

    asked = cut_network(monkeypatch)
    with pytest.raises(DatasetError, match=r"^cannot download .*Name or service not known.*Without a network") as error:
        module(root=tmp_path / "data", download=True).prepare_data()
    assert len(asked) == 1 and "\n" not in str(error.value)  # one try, one line
    assert all(name in str(error.value) for name in names) and str(tmp_path / "data") in str(error.value)


def test_download_keeps_voc_files_already_there(voc_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nnframe.core.testing import cut_network

    asked = cut_network(monkeypatch)
    datamodule = VOCSegmentationDataModule(root=voc_root, download=True, batch_size=6, num_classes=21,
                                           train_transform=TRANSFORM, eval_transform=TRANSFORM)
    datamodule.prepare_data()  # extracted by hand, archive deleted: nothing to download
    datamodule.setup("fit")
    assert asked == [] and len(datamodule.datasets["val"]) == 3
