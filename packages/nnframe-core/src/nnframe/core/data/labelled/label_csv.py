"""Reading a CSV of image paths and labels, with errors that name the file, the line and the fix."""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from nnframe.core.errors import DatasetError

SPLIT_NAMES = {"train": "train", "val": "val", "valid": "val", "validation": "val", "test": "test"}


@dataclass
class LabelRow:
    """One image of the CSV: its file, its labels (one, or several for multi-label data), its
    split (None without a split column), the line it came from and its group (the value of the
    group column, e.g. a patient id; None without one)."""

    path: Path
    labels: list[str]
    split: str | None
    line: int
    group: str | None = None


def read_label_csv(csv_path: str | Path, root: str | Path | None = None, path_column: str = "path",
                   label_column: str = "label", split_column: str | None = "split",
                   label_separator: str = "|", group_column: str | None = None) -> list[LabelRow]:
    """The rows of ``csv_path``; rows naming the same file are merged (their labels joined).

    Args:
        csv_path: the CSV, with a header row.
        root: the folder relative paths start from (default: the CSV's folder).
        path_column, label_column: column names.
        split_column: column of ``train``/``val``/``test`` (also ``valid``/``validation``),
            used when the header has it.
        label_separator: separates several labels in one cell.
        group_column: column of the group of each image (a patient, a subject, a video): rows
            of one group are kept in one split and one fold. None: no groups.

    Raises:
        DatasetError: a missing file or column, an empty path, label or group, an unknown split,
            one file in two groups; names the CSV and the line.
    """
    csv_path = Path(csv_path)
    if not csv_path.is_file():
        raise DatasetError(f"label CSV not found: {csv_path} (set data.csv=/path/to/labels.csv)")
    base = Path(root) if root is not None else csv_path.parent
    with open(csv_path, newline="", encoding="utf-8-sig") as handle:
        sample = handle.read(4096)
        handle.seek(0)
        try:
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        reader = csv.DictReader(handle, dialect=dialect)
        header = [name.strip() for name in reader.fieldnames or []]
        reader.fieldnames = header
        missing = [c for c in (path_column, label_column) if c not in header]
        if missing:
            raise DatasetError(
                f"{csv_path} has no column {' and no column '.join(repr(m) for m in missing)} (its header: "
                f"{', '.join(header) or 'empty'}); the first row must name the columns, e.g. `path,label`, or "
                f"set data.path_column / data.label_column to your column names"
            )
        if group_column is not None and group_column not in header:
            raise DatasetError(f"{csv_path} has no column {group_column!r} for data.group_column (its header: "
                               f"{', '.join(header) or 'empty'}); set data.group_column to one of these columns")
        use_split = split_column is not None and split_column in header
        merged: dict[Path, LabelRow] = {}
        problems: list[str] = []
        for line, row in enumerate(reader, start=2):
            raw_path = (row.get(path_column) or "").strip()
            if not raw_path:
                problems.append(f"line {line}: no path")
                continue
            path = Path(raw_path) if Path(raw_path).is_absolute() else base / raw_path
            labels = [label.strip() for label in (row.get(label_column) or "").split(label_separator) if label.strip()]
            split = None
            if use_split:
                value = (row.get(split_column) or "").strip().lower()
                split = SPLIT_NAMES.get(value)
                if split is None:
                    problems.append(f"line {line}: split {value!r} is not train, val or test")
                    continue
            group = None
            if group_column is not None:
                group = (row.get(group_column) or "").strip()
                if not group:
                    problems.append(f"line {line}: no {group_column}")
                    continue
            if path in merged:
                previous = merged[path]
                if previous.split != split:
                    problems.append(f"line {line}: {raw_path} is also in split {previous.split} (line {previous.line})")
                if previous.group != group:
                    problems.append(f"line {line}: {raw_path} is in {group_column} {group!r} here and "
                                    f"{previous.group!r} on line {previous.line}")
                previous.labels += [label for label in labels if label not in previous.labels]
            else:
                merged[path] = LabelRow(path, labels, split, line, group)
    if problems:
        listed = "; ".join(problems[:10]) + (f"; and {len(problems) - 10} more" if len(problems) > 10 else "")
        raise DatasetError(f"{csv_path}: {listed}")
    if not merged:
        raise DatasetError(f"{csv_path} has a header but no rows")
    return list(merged.values())


def sorted_labels(labels: set[str]) -> list[str]:
    """Class names in index order: numerically when every label is a number, else by name."""
    try:
        return sorted(labels, key=float)
    except ValueError:
        return sorted(labels)


def rows_by_split(rows: list[LabelRow]) -> dict[str | None, list[LabelRow]]:
    groups: dict[str | None, list[LabelRow]] = defaultdict(list)
    for row in rows:
        groups[row.split].append(row)
    return groups
