"""Bad image folders stop before training with a message that names the problem, shows the
expected tree where the layout is wrong, and gives the fix; following the fix works."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnframe.core.data import ImageFolderDataModule, ImageFolderDataset
from nnframe.core.errors import DatasetError
from nnframe.core.testing import write_damaged_png, write_image, write_image_folder, write_messy_files


def _datamodule(root: Path, **kwargs) -> ImageFolderDataModule:
    return ImageFolderDataModule(root=root, image_size=16, batch_size=2, **kwargs)


def _setup(root: Path, **kwargs) -> ImageFolderDataModule:
    datamodule = _datamodule(root, **kwargs)
    datamodule.setup_splits(["train", "val", "test"])
    return datamodule


def test_missing_dataset_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=rf"dataset folder not found: {tmp_path / 'nope'}.*data.root"):
        _datamodule(tmp_path / "nope").setup("fit")


def test_layout_one_level_too_deep_shows_the_tree_and_the_key_that_fixes_it(tmp_path: Path) -> None:
    write_image_folder(tmp_path / "train" / "all", {"cat": 3, "dog": 3})
    with pytest.raises(DatasetError) as error:
        _setup(tmp_path)
    message = str(error.value)
    assert "one level too deep" in message and "(cat, dog)" in message
    assert "data.train_dir=train/all" in message and "expected layout:" in message and "<class 1>/" in message
    datamodule = _setup(tmp_path, train_dir="train/all")  # the hint, followed
    assert datamodule.class_names == ["cat", "dog"] and len(datamodule.datasets["train"]) == 5


def test_class_folders_directly_in_root_suggest_train_dir_dot(tmp_path: Path) -> None:
    write_image_folder(tmp_path, {"cat": 5, "dog": 5})
    with pytest.raises(DatasetError, match=r"holds class folders \(cat, dog\) directly: set data.train_dir=\."):
        _setup(tmp_path)
    datamodule = _setup(tmp_path, train_dir=".")
    assert len(datamodule.datasets["train"]) + len(datamodule.datasets["val"]) == 10


def test_root_one_level_too_high_names_the_folder_to_use(tmp_path: Path) -> None:
    write_image_folder(tmp_path / "mnist_png" / "train", {"0": 2, "1": 2})
    with pytest.raises(DatasetError, match=rf"set data.root={tmp_path / 'mnist_png'}"):
        _setup(tmp_path)
    assert _setup(tmp_path / "mnist_png").class_names == ["0", "1"]


@pytest.mark.parametrize("layout", ["no class folders", "images without class folders", "empty class folder",
                                    "single class"])
def test_wrong_layouts_name_the_problem_and_show_the_tree(tmp_path: Path, layout: str) -> None:
    (tmp_path / "train").mkdir()
    expected = {
        "no class folders": "no class folders and no images",
        "images without class folders": "3 images but no class folders",
        "empty class folder": r"class folder of .*train hold no images: .*cow \(only notes.txt\)",
        "single class": r"single class folder \(cat/\): classification needs at least 2",
    }[layout]
    if layout == "images without class folders":
        for i in range(3):
            write_image(tmp_path / "train" / f"{i}.png")
    if layout in ("empty class folder", "single class"):
        write_image_folder(tmp_path / "train", {"cat": 2})
    if layout == "empty class folder":
        write_image_folder(tmp_path / "train", {"dog": 2})
        (tmp_path / "train" / "cow").mkdir()
        (tmp_path / "train" / "cow" / "notes.txt").write_text("todo")
    with pytest.raises(DatasetError, match=expected) as error:
        _setup(tmp_path)
    assert "expected layout:" in str(error.value)


def test_a_class_missing_from_test_stops_before_training_with_the_fix(tmp_path: Path) -> None:
    write_image_folder(tmp_path / "train", {"cat": 3, "dog": 3})
    write_image_folder(tmp_path / "val", {"cat": 2, "dog": 2})
    write_image_folder(tmp_path / "test", {"cat": 2})
    with pytest.raises(DatasetError, match=r"only in test: none; only in train: \['dog'\].*remove test/"):
        _setup(tmp_path)


def test_classes_that_differ_between_splits_are_listed(tmp_path: Path) -> None:
    write_image_folder(tmp_path / "train", {"cat": 2, "dog": 2})
    write_image_folder(tmp_path / "val", {"cat": 2, "cow": 2})
    with pytest.raises(DatasetError, match=r"only in val: \['cow'\]; only in train: \['dog'\]"):
        _datamodule(tmp_path).setup("fit")


def test_num_classes_that_disagrees_with_the_data(tmp_path: Path) -> None:
    write_image_folder(tmp_path / "train", {"cat": 2, "dog": 2})
    message = r"data.num_classes=3 but the dataset has 2 classes.*data.num_classes=2"
    with pytest.raises(DatasetError, match=message):
        _datamodule(tmp_path, num_classes=3).setup("fit")


def test_a_messy_folder_lists_every_unusable_file_and_the_fix(tmp_path: Path) -> None:
    write_image_folder(tmp_path / "train", {"cat": 4, "dog": 4})
    messy = write_messy_files(tmp_path / "train" / "dog")
    with pytest.raises(DatasetError) as error:
        _setup(tmp_path)
    message = str(error.value)
    assert "3 of 11 files cannot be used" in message
    assert f"{messy['empty']}: empty file (0 bytes)" in message
    assert f"{messy['text']}: not an image: a text file" in message
    assert f"{messy['truncated']}: truncated (no JPEG end marker" in message
    assert "._0.png" not in message and "DS_Store" not in message  # metadata files: ignored, not errors
    assert "data.skip_corrupt=true" in message


def test_skip_corrupt_leaves_the_files_out_and_counts_them(tmp_path: Path) -> None:
    write_image_folder(tmp_path / "train", {"cat": 4, "dog": 4})
    messy = write_messy_files(tmp_path / "train" / "dog")
    datamodule = _setup(tmp_path, skip_corrupt=True, val_fraction=0.25)
    report = datamodule.data_report
    assert report.excluded_count == 3 and report.ignored_count == 2
    left_out = {path for split in report.splits.values() for path, _ in split.excluded}
    assert left_out == {str(messy[k]) for k in ("empty", "text", "truncated")}
    assert {path for path, _ in report.splits["train"].ignored} == {str(messy["appledouble"]), str(messy["ds_store"])}
    kept = [str(path) for split in ("train", "val") for path, _ in datamodule.datasets[split].samples]
    assert len(kept) == 8 and not set(kept) & left_out
    summary = datamodule.summary()
    assert summary["report"] is report and sum(summary["counts"]["train"]) + sum(summary["counts"]["val"]) == 8


def test_damage_inside_a_file_is_named_when_read_and_found_with_decode_check(tmp_path: Path) -> None:
    write_image_folder(tmp_path / "train", {"cat": 3, "dog": 3})
    bad = write_damaged_png(tmp_path / "train" / "dog" / "damaged.png")
    datamodule = _setup(tmp_path, val_fraction=0.0001)  # header and IEND intact: passes the cheap check
    dataset = datamodule.datasets["train"]
    index = [path for path, _ in dataset.samples].index(bad)
    with pytest.raises(DatasetError, match=rf"cannot read image {bad}.*data.decode_check=true"):
        dataset[index]
    with pytest.raises(DatasetError, match=rf"{bad}: cannot decode"):
        _setup(tmp_path, decode_check=True)
    checked = _setup(tmp_path, decode_check=True, skip_corrupt=True)
    assert checked.data_report.excluded_count == 1


def test_image_folder_dataset_counts_what_is_not_an_image(tmp_path: Path) -> None:
    root = write_image_folder(tmp_path / "train", {"cat": 2, "dog": 2})
    (root / "cat" / "labels.txt").write_text("x")
    (root / "__MACOSX").mkdir()
    dataset = ImageFolderDataset(root)
    assert len(dataset) == 4 and dataset.class_names == ["cat", "dog"]
    assert sorted(Path(p).name for p, _ in dataset.ignored_files) == ["__MACOSX", "labels.txt"]


def test_corrupt_image_read_in_a_dataloader_worker_is_shown_without_the_worker_traceback(tmp_path: Path) -> None:
    from torch.utils.data import DataLoader

    from nnframe.core.errors import user_message

    root = write_image_folder(tmp_path / "train", {"cat": 1})
    bad = root / "cat" / "0.png"
    bad.write_bytes(b"garbage")
    with pytest.raises(DatasetError) as error:
        next(iter(DataLoader(ImageFolderDataset(root), num_workers=1)))
    assert "Original Traceback" in str(error.value)
    assert user_message(error.value).startswith(f"cannot read image {bad}")


def test_the_fixes_of_an_empty_class_a_missing_class_and_no_validation_work(tmp_path: Path) -> None:
    import shutil

    write_image_folder(tmp_path / "train", {"cat": 3, "dog": 3})
    (tmp_path / "train" / "cow").mkdir()
    with pytest.raises(DatasetError, match="Add images to it or remove it"):
        _setup(tmp_path)
    (tmp_path / "train" / "cow").rmdir()  # removed
    write_image_folder(tmp_path / "test", {"cat": 2})
    with pytest.raises(DatasetError, match="remove test/ to use the val split instead"):
        _setup(tmp_path)
    shutil.rmtree(tmp_path / "test")  # removed: test is val
    with pytest.raises(DatasetError, match=r"data.val_fraction=0: add the folder or set data.val_fraction=0.1"):
        _setup(tmp_path, val_fraction=0)
    assert len(_setup(tmp_path, val_fraction=0.1).datasets["test"]) == 1
