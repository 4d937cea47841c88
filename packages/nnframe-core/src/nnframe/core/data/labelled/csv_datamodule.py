"""Datamodule for images listed in a CSV with their labels (one or several per image)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from nnframe.core.data.base.vision_datamodule import VisionDataModule
from nnframe.core.data.labelled.label_csv import LabelRow, read_label_csv, rows_by_split, sorted_labels
from nnframe.core.data.labelled.labelled_image_dataset import LabelledImageDataset
from nnframe.core.errors import ConfigError, DatasetError


class CsvDataModule(VisionDataModule):
    """Images and labels from ``csv`` (columns ``path,label``; see :func:`read_label_csv`).

    Splits: a ``split`` column, or separate ``val_csv`` / ``test_csv`` files, else a seeded
    ``val_fraction`` of the training rows; without a test split, test uses the validation data.
    Classes are the labels of the training rows (sorted; numerically when they are numbers).

    Groups: with ``group_column`` (a patient or subject id, a video), the rows of one group stay
    together: ``val_fraction`` holds out whole groups, and ``cv.folds`` keeps each group in one
    fold, so no group is both trained and validated on.

    Multi-label data: several labels in one cell (``cat|dog`` with ``label_separator="|"``) or the
    same path on several rows. ``multi_label="auto"`` decides from the data; targets are then
    multi-hot float vectors (num_classes,), and a row may have no label at all.

    Args:
        csv: the CSV of all rows (or of the training rows with ``val_csv``/``test_csv``).
        val_csv, test_csv: optional CSVs of the validation / test rows.
        root: folder relative paths start from (default: each CSV's folder).
        path_column, label_column, split_column, label_separator, group_column: see
            :func:`read_label_csv`.
        multi_label: ``auto``, True or False.
        val_fraction: held-out share of train when there is no validation split.
        **kwargs: :class:`VisionDataModule` arguments.
    """

    def __init__(self, csv: str | Path, val_csv: str | Path | None = None, test_csv: str | Path | None = None,
                 root: str | Path | None = None, path_column: str = "path", label_column: str = "label",
                 split_column: str | None = "split", label_separator: str = "|", multi_label: bool | str = "auto",
                 val_fraction: float = 0.1, group_column: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if multi_label not in ("auto", True, False):
            raise ConfigError(f"data.multi_label={multi_label!r} must be auto, true or false")
        self.csv = Path(csv)
        self.extra_csv = {"val": val_csv, "test": test_csv}
        self.root = root
        self.columns = {"path_column": path_column, "label_column": label_column, "split_column": split_column,
                        "label_separator": label_separator, "group_column": group_column}
        self.multi_label_setting = multi_label
        self.val_fraction = val_fraction
        self._rows: dict[str, list[LabelRow]] | None = None
        self._classes: list[str] = []
        self._multi = False

    @property
    def multi_label(self) -> bool:
        """Whether targets are multi-hot vectors (several labels per image)."""
        self._read()
        return self._multi

    @multi_label.setter
    def multi_label(self, value: bool) -> None:  # set by the run when it resolves data.multi_label
        self.multi_label_setting = bool(value)
        self._multi = bool(value)

    def _read_file(self, path: str | Path) -> list[LabelRow]:
        return read_label_csv(path, self.root, **self.columns)

    def _read(self) -> dict[str, list[LabelRow]]:
        if self._rows is not None:
            return self._rows
        groups = rows_by_split(self._read_file(self.csv))
        unsplit = groups.pop(None, [])
        rows = {"train": unsplit + groups.pop("train", []), **groups}
        for split, path in self.extra_csv.items():
            if path is not None:
                rows[split] = rows.get(split, []) + [r for r in self._read_file(path)]
        if not rows["train"]:
            raise DatasetError(f"{self.csv} has no training rows (split column values: "
                               f"{', '.join(sorted(groups)) or 'none'}); mark rows with split=train")
        if "val" not in rows:
            if self.val_fraction <= 0:
                raise DatasetError(f"{self.csv} has no val rows and data.val_fraction=0: add rows with split=val, "
                                   "data.val_csv=..., or set data.val_fraction=0.1")
            held_out = self._held_out(rows["train"])
            rows["val"] = [row for i, row in enumerate(rows["train"]) if i in held_out]
            rows["train"] = [row for i, row in enumerate(rows["train"]) if i not in held_out]
        rows.setdefault("test", rows["val"])
        self._multi = self._decide_multi_label(rows)
        self._classes = sorted_labels({label for row in rows["train"] for label in row.labels})
        self._space_hint = self._space_separated_hint([row for split_rows in rows.values() for row in split_rows])
        if self._space_hint:
            self.data_report.note(self._space_hint)
        self._check_labels(rows)
        self._rows = rows
        return rows

    def _held_out(self, rows: list[LabelRow]) -> set[int]:
        """The rows ``val_fraction`` holds out for validation (seeded): whole groups with a group column."""
        generator = torch.Generator().manual_seed(self.seed)
        n_val = max(1, round(self.val_fraction * len(rows)))
        if self.columns["group_column"] is None:
            return set(torch.randperm(len(rows), generator=generator)[:n_val].tolist())
        members: dict[str | None, list[int]] = {}
        for i, row in enumerate(rows):
            members.setdefault(row.group, []).append(i)
        if len(members) < 2:
            raise DatasetError(f"{self.csv} has a single {self.columns['group_column']} in its training rows, so "
                               "data.val_fraction cannot hold out a whole group: add rows with split=val or "
                               "data.val_csv=..., or set data.group_column=null")
        names = list(members)
        held_out: set[int] = set()
        for position in torch.randperm(len(names), generator=generator)[:-1].tolist():  # one group stays to train
            if len(held_out) >= n_val:
                break
            held_out.update(members[names[position]])
        return held_out

    def train_groups(self) -> list[str] | None:
        """The group of every training sample (in the order of the training split), or None
        without ``group_column``; ``cv.folds`` keeps each group in one fold."""
        if self.columns["group_column"] is None:
            return None
        return [str(row.group) for row in self._read()["train"]]

    def _decide_multi_label(self, rows: dict[str, list[LabelRow]]) -> bool:
        several = [row for split_rows in rows.values() for row in split_rows if len(row.labels) > 1]
        if self.multi_label_setting is False and several:
            row = several[0]
            raise DatasetError(f"data.multi_label=false but {row.path} (line {row.line} of its CSV) has labels "
                               f"{row.labels}: set data.multi_label=auto (or true) for multi-label data")
        return bool(several) if self.multi_label_setting == "auto" else bool(self.multi_label_setting)

    def _check_labels(self, rows: dict[str, list[LabelRow]]) -> None:
        known = set(self._classes)
        if not self._multi:
            empty = [row for split_rows in rows.values() for row in split_rows if not row.labels]
            if empty:
                listed = ", ".join(f"line {r.line} ({r.path.name})" for r in empty[:5])
                raise DatasetError(f"{len(empty)} rows of {self.csv} have no label: {listed}. Give each a label "
                                   "(or set data.multi_label=true if images without labels are negatives)")
        if len(known) < 2 and not self._multi:
            raise DatasetError(f"{self.csv} has a single label ({', '.join(known) or 'none'}) in its training "
                               "rows: classification needs at least 2")
        for split in ("val", "test"):
            unknown = sorted({label for row in rows[split] for label in row.labels} - known)
            if unknown:
                raise DatasetError(f"labels {unknown[:10]} of the {split} rows never occur in the training rows "
                                   f"of {self.csv}: the model cannot learn them; add training rows or remove them"
                                   + (f" ({self._space_hint})" if self._space_hint else ""))

    @property
    def class_names(self) -> list[str]:
        self._read()
        return list(self._classes)

    @property
    def missing_files_hint(self) -> str:
        """What the data check adds to its message about files that do not exist."""
        base = self.root if self.root is not None else self.csv.parent
        return (f"relative paths in the CSV start from {base}: set data.root=<folder> if they are relative to "
                "another folder")

    @property
    def image_mode(self) -> str:
        return "L" if self.in_channels == 1 else "RGB"

    def prepare_data(self) -> None:
        self._read()

    def build_dataset(self, split: str, transform: Callable[..., Any] | None) -> LabelledImageDataset:
        rows = self._read()[split]
        index = {name: i for i, name in enumerate(self._classes)}
        if self._multi:
            samples = [(row.path, tuple(sorted(index[label] for label in row.labels))) for row in rows]
        else:
            samples = [(row.path, index[row.labels[0]]) for row in rows]
        dataset = LabelledImageDataset(samples, self._classes, transform, self.image_mode, self._multi)
        return dataset

    def _space_separated_hint(self, rows: list[LabelRow]) -> str | None:
        """A hint when single labels look like space-separated lists (not a guess at the data)."""
        if self._multi or self.columns["label_separator"] == " ":
            return None
        labels = {label for row in rows for label in row.labels}
        spaced = sorted(label for label in labels if " " in label)
        words = {word for label in labels for word in label.split()}
        if len(spaced) > len(labels) / 2 and len(words) < len(labels):
            return (f"labels such as {spaced[0]!r} look like space-separated lists; for multi-label data set "
                    "data.label_separator=' '")
        return None
