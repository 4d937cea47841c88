"""Labels from a CSV: single- and multi-label rows, splits from a column, files or a fraction, and
errors that name the CSV, the line and the fix (each fix followed)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from nnframe.core.data import CsvDataModule
from nnframe.core.errors import DatasetError
from nnframe.core.testing import write_image


def _csv(folder: Path, rows: list[tuple[str, ...]], header: str = "path,label", name: str = "labels.csv") -> Path:
    for row in rows:
        if not (folder / row[0]).exists():
            write_image(folder / row[0], seed=len(row[0]))
    path = folder / name
    path.write_text("\n".join([header, *(",".join(row) for row in rows)]) + "\n")
    return path


def _setup(csv: Path, **kwargs) -> CsvDataModule:
    datamodule = CsvDataModule(csv, image_size=16, batch_size=2, **kwargs)
    datamodule.setup_splits(["train", "val", "test"])
    return datamodule


def test_single_label_rows_with_a_split_column(tmp_path: Path) -> None:
    rows = [(f"img/{i}.png", label, split) for i, (label, split) in
            enumerate([("10", "train"), ("2", "train"), ("10", "train"), ("2", "val"), ("10", "test")])]
    datamodule = _setup(_csv(tmp_path, rows, "path,label,split"))
    assert datamodule.class_names == ["2", "10"]  # numbers sort as numbers
    assert not datamodule.multi_label
    assert {s: len(d) for s, d in datamodule.datasets.items()} == {"train": 3, "val": 1, "test": 1}
    _, label = datamodule.datasets["train"][0]
    assert label == 1 and datamodule.summary()["counts"]["train"] == [1, 2]


def test_multi_label_from_a_separator_or_repeated_rows(tmp_path: Path) -> None:
    rows = [("a.png", "cat|dog"), ("b.png", "dog"), ("c.png", ""), ("d.png", "cat"), ("e.png", "bird|cat")]
    datamodule = _setup(_csv(tmp_path, rows), val_fraction=0.2, seed=1)
    assert datamodule.multi_label and datamodule.class_names == ["bird", "cat", "dog"]
    samples = {path.name: label for split in ("train", "val") for path, label in datamodule.datasets[split].samples}
    assert samples["a.png"] == (1, 2) and samples["c.png"] == ()
    dataset = next(d for d in datamodule.datasets.values() if any(p.name == "a.png" for p, _ in d.samples))
    _, target = dataset[[p.name for p, _ in dataset.samples].index("a.png")]
    assert torch.equal(target, torch.tensor([0.0, 1.0, 1.0]))
    repeated = _csv(tmp_path / "r", [("a.png", "cat"), ("a.png", "dog"), ("b.png", "dog"), ("c.png", "cat")])
    assert _setup(repeated, val_fraction=0.3).multi_label


def test_separate_csv_files_and_paths_relative_to_data_root(tmp_path: Path) -> None:
    images = tmp_path / "images"
    _csv(images, [("0.png", "a"), ("1.png", "b"), ("2.png", "a"), ("3.png", "b")])
    (tmp_path / "train.csv").write_text("path,label\n0.png,a\n1.png,b\n")
    (tmp_path / "val.csv").write_text("path,label\n2.png,a\n3.png,b\n")
    datamodule = _setup(tmp_path / "train.csv", val_csv=tmp_path / "val.csv", root=images)
    assert len(datamodule.datasets["val"]) == 2 and len(datamodule.datasets["test"]) == 2


@pytest.mark.parametrize(("header", "rows", "expected"), [
    ("file,class", [("a.png", "x")], r"has no column 'path' and no column 'label' \(its header: file, class\)"
                                     r".*data.path_column"),
    ("path,label,split", [("a.png", "x", "training")], r"line 2: split 'training' is not train, val or test"),
    ("path,label,split", [("a.png", "x", "train"), ("b.png", "y", "train"), ("c.png", "z", "val")],
     r"labels \['z'\] of the val rows never occur in the training rows"),
    ("path,label", [("a.png", "x"), ("b.png", "y"), ("c.png", "y"), ("d.png", "x")], None),
])
def test_bad_csvs_name_the_line_and_the_fix(tmp_path: Path, header: str, rows: list, expected: str | None) -> None:
    csv = _csv(tmp_path, rows, header)
    if expected is None:  # the control: a good file
        _setup(csv, val_fraction=0.5)
        return
    with pytest.raises(DatasetError, match=expected):
        _setup(csv)


def test_other_column_names_are_set_with_path_column_and_label_column(tmp_path: Path) -> None:
    csv = _csv(tmp_path, [("a.png", "x"), ("b.png", "y"), ("c.png", "x"), ("d.png", "y")], header="file,class")
    with pytest.raises(DatasetError, match="data.path_column / data.label_column"):
        _setup(csv)
    assert _setup(csv, path_column="file", label_column="class", val_fraction=0.5).class_names == ["x", "y"]


def test_a_row_without_label_suggests_multi_label_and_that_works(tmp_path: Path) -> None:
    csv = _csv(tmp_path, [("a.png", "x"), ("b.png", ""), ("c.png", "y"), ("d.png", "x")])
    with pytest.raises(DatasetError, match=r"1 rows of .* have no label: line 3 \(b.png\).*data.multi_label=true"):
        _setup(csv, val_fraction=0.25)
    assert _setup(csv, val_fraction=0.25, multi_label=True).multi_label


def test_missing_image_files_are_listed_before_training_or_left_out(tmp_path: Path) -> None:
    csv = _csv(tmp_path, [("a.png", "x"), ("b.png", "y"), ("c.png", "x"), ("d.png", "y")])
    (tmp_path / "b.png").unlink()
    with pytest.raises(DatasetError, match=rf"(?s){tmp_path / 'b.png'}: file not found.*start from {tmp_path}.*"
                                           "data.root=.*data.skip_corrupt=true"):
        _setup(csv, val_fraction=0.25)
    assert _setup(csv, val_fraction=0.25, skip_corrupt=True).data_report.excluded_count == 1


def test_space_separated_label_lists_get_a_hint_and_the_separator_fixes_them(tmp_path: Path) -> None:
    rows = [(f"{i}.png", labels) for i, labels in enumerate(["clear primary", "haze primary", "clear water",
                                                              "haze water", "clear primary water", "primary"])]
    csv = _csv(tmp_path, rows)
    with pytest.raises(DatasetError, match=r"look like space-separated lists; .*data.label_separator=' '"):
        _setup(csv, val_fraction=0.2)  # read as 5 single labels, a val one unseen in train
    fixed = _setup(csv, val_fraction=0.2, label_separator=" ")
    assert fixed.multi_label and fixed.class_names == ["clear", "haze", "primary", "water"]
    assert not any("separated" in note for note in fixed.data_report.notes)
