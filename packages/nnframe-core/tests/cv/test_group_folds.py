"""k-fold with a group column in CSV data (``data.group_column``): every group lies whole in one
fold, the folds stay balanced, and the errors name the columns / the number of groups (each hint
followed)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import torch

from nnframe.core.cv import apply_fold, fold_indices
from nnframe.core.data import CsvDataModule
from nnframe.core.errors import ConfigError, DatasetError
from nnframe.core.testing import write_image


def _grouped_csv(folder: Path, subjects: int = 24) -> Path:
    """A CSV of ``subjects`` subjects with 1 to 4 images each; a subject's images share its label
    (as a patient's scans share the diagnosis), two thirds of the subjects are class ``a``."""
    lines = ["path,label,subject"]
    for subject in range(subjects):
        for image in range(1 + subject % 4):
            name = f"img/{subject}_{image}.png"
            write_image(folder / name, size=(8, 8), seed=subject * 10 + image)
            lines.append(f"{name},{'a' if subject % 3 else 'b'},s{subject}")
    path = folder / "labels.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _datamodule(csv: Path, **kwargs) -> CsvDataModule:
    datamodule = CsvDataModule(csv, image_size=8, batch_size=2, val_fraction=0.0001, seed=0, **kwargs)
    datamodule.setup_splits(["train", "val"])
    return datamodule


def _subjects(dataset) -> set[str]:
    return {Path(dataset.dataset.samples[i][0]).stem.split("_")[0] for i in dataset.indices}


def test_each_group_lies_in_one_fold_and_the_folds_are_balanced(tmp_path: Path) -> None:
    csv = _grouped_csv(tmp_path)
    base = _datamodule(csv, group_column="subject")
    train_subjects = {Path(p).stem.split("_")[0] for p, _ in base.datasets["train"].samples}
    assert not train_subjects & {Path(p).stem.split("_")[0] for p, _ in base.datasets["val"].samples}
    total = len(base.datasets["train"])
    validated: Counter[str] = Counter()
    for fold in range(3):
        datamodule = _datamodule(csv, group_column="subject")
        apply_fold(datamodule, folds=3, fold=fold, seed=0)
        train, val = datamodule.datasets["train"], datamodule.datasets["val"]
        assert not _subjects(train) & _subjects(val)  # no subject both trained and validated on
        assert abs(len(val) - total / 3) <= 2  # sizes balanced as whole subjects allow
        counts = val.label_counts()
        assert counts[1] >= 1 and abs(counts[1] / len(val) - 1 / 3) < 0.2  # class b in each fold
        validated.update(_subjects(val))
    assert set(validated) == train_subjects and set(validated.values()) == {1}  # each subject validated once


def test_without_labels_groups_are_dealt_by_size_and_the_seed_shuffles() -> None:
    groups = [f"g{i // 3}" for i in range(60)] + [f"h{i}" for i in range(10)]  # 20 groups of 3, 10 of 1
    folds = [fold_indices(70, 4, fold, seed=1, groups=groups)[1] for fold in range(4)]
    assert sorted(i for val in folds for i in val) == list(range(70))
    assert all(len({groups[i] for i in val} & {groups[i] for i in other}) == 0
               for val in folds for other in folds if other is not val)
    assert sorted(len(val) for val in folds) in ([17, 17, 18, 18], [17, 17, 17, 19])
    assert fold_indices(70, 4, 0, seed=2, groups=groups) != fold_indices(70, 4, 0, seed=1, groups=groups)


def test_fewer_groups_than_folds_says_so_and_its_hint_works(tmp_path: Path) -> None:
    csv = _grouped_csv(tmp_path, subjects=5)  # one subject held out for val
    with pytest.raises(ConfigError, match=r"cv.folds=5 but the training split has only 4 groups .* set cv.folds=4"):
        apply_fold(_datamodule(csv, group_column="subject"), folds=5, fold=0, seed=0)
    datamodule = _datamodule(csv, group_column="subject")
    apply_fold(datamodule, folds=4, fold=0, seed=0)  # the hint: cv.folds=4
    assert len(_subjects(datamodule.datasets["val"])) == 1


def test_an_unknown_group_column_names_the_columns_present_and_its_hint_works(tmp_path: Path) -> None:
    csv = _grouped_csv(tmp_path, subjects=6)
    with pytest.raises(DatasetError, match=r"no column 'patient' .*its header: path, label, subject\).*"
                                           r"set data.group_column to one of these columns"):
        _datamodule(csv, group_column="patient")
    assert _datamodule(csv, group_column="subject").train_groups()  # the hint: a column of the header


def test_a_file_in_two_groups_or_with_no_group_names_the_line(tmp_path: Path) -> None:
    csv = _grouped_csv(tmp_path, subjects=3)
    csv.write_text(csv.read_text() + "img/0_0.png,b,s9\nimg/1_0.png,a,\n")
    with pytest.raises(DatasetError, match=r"line 8: img/0_0.png is in subject 's9' here and 's0' on line 2; "
                                           r"line 9: no subject"):
        _datamodule(csv, group_column="subject")


def test_val_fraction_holds_out_whole_groups(tmp_path: Path) -> None:
    datamodule = CsvDataModule(_grouped_csv(tmp_path), image_size=8, batch_size=2, val_fraction=0.3, seed=3,
                               group_column="subject")
    datamodule.setup_splits(["train", "val"])
    names = {split: {Path(p).stem.split("_")[0] for p, _ in datamodule.datasets[split].samples}
             for split in ("train", "val")}
    assert names["val"] and not names["train"] & names["val"]
    assert len(datamodule.datasets["val"]) >= 0.3 * 60 - 1
    assert torch.is_tensor(datamodule.train_targets())
