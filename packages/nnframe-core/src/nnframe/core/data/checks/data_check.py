"""The pre-flight data check: what every run that trains or evaluates does with its splits before
the first step.

For each split: every file of every sample is identified (header, end marker; masks decoded),
in parallel and cached (:mod:`~nnframe.core.data.checks.file_scan`); samples with an unusable file are
left out and counted (``data.skip_corrupt=true``) or all listed in one error with the fix; image
sizes and modes are collected for the summary; class counts are compared across splits. The
datamodule's ``check_data`` then adds its task's checks (masks against their images...).
Everything found goes into ``datamodule.data_report``; problems stop the run together.
"""

from __future__ import annotations

import contextlib
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from torch.utils.data import Subset

from nnframe.core.data.checks.data_report import DataReport, SplitStats
from nnframe.core.data.checks.file_probe import FileInfo
from nnframe.core.data.checks.file_scan import ScanStats, scan_files
from nnframe.core.errors import DatasetError

_SKIP_FIX = ("delete or replace them, or set data.skip_corrupt=true to leave them out "
             "(counted in the data summary and at the end of the run)")


def _reason(kind: str, problem: str, sample: tuple[Path, ...]) -> str:
    if kind == "label" and problem == "file not found":
        return f"no mask for image {sample[0]}"
    return problem if kind == "image" else f"{problem} (the mask of {sample[0]})"


def _array_stats(dataset: Any) -> tuple[int, tuple[int, int], str] | None:
    """``(count, (width, height), mode)`` of an in-memory dataset (shapes, CIFAR, MNIST...)."""
    source, count = dataset, len(dataset)
    while True:
        if isinstance(source, Subset) or hasattr(source, "dataset") and not hasattr(source, "data") and not hasattr(source, "images"):
            source = source.dataset
        else:
            break
    array = getattr(source, "images", None)
    if array is None:
        array = getattr(source, "data", None)
    shape = getattr(array, "shape", None)
    if shape is None or len(shape) not in (3, 4):
        return None
    if len(shape) == 3:
        return count, (int(shape[2]), int(shape[1])), "L"
    channels_last = shape[-1] in (1, 3) and shape[1] not in (1, 3)
    channels, height, width = (shape[3], shape[1], shape[2]) if channels_last else (shape[1], shape[2], shape[3])
    return count, (int(width), int(height)), "L" if channels == 1 else "RGB"


def _check_classes(datamodule: Any, report: DataReport, splits: list[str]) -> None:
    names = datamodule.class_names
    for split in splits:
        counts = report.splits[split].class_counts
        if counts is None:
            continue
        missing = [names[i] for i, count in enumerate(counts) if count == 0]
        if not missing:
            continue
        listed = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
        if split == "train":  # classes fixed by the dataset (torchvision's); data-defined ones always occur
            report.note(f"{len(missing)} class(es) have no training samples: {listed} (the model cannot learn them)")
        else:
            report.note(f"{split} has no samples of {listed}: its metrics say nothing about them")


def check_splits(datamodule: Any, splits: list[str]) -> DataReport:
    """Run the pre-flight check on ``splits`` of ``datamodule`` (already built), leaving out
    unusable samples when ``datamodule.skip_corrupt``.

    Returns:
        ``datamodule.data_report``, updated.

    Raises:
        DatasetError: every problem found (unusable files without ``skip_corrupt``, the task's
            own checks), each with its files and fix.
    """
    report: DataReport = datamodule.data_report
    datasets = {split: datamodule.datasets[split] for split in splits}
    decode = bool(getattr(datamodule, "decode_check", False))
    # A dataset without sample_files (a plain torch Dataset the datamodule names the classes of)
    # has no files to check, like in-memory data.
    files: dict[str, list[tuple[Path, ...]] | None] = {
        split: ds.sample_files() if callable(getattr(ds, "sample_files", None)) else None
        for split, ds in datasets.items()}
    by_kind: dict[str, list[Path]] = defaultdict(list)
    for split, sample_files in files.items():
        for sample in sample_files or ():
            for kind, path in zip(datasets[split].file_kinds, sample, strict=False):
                by_kind[kind].append(path)
    scan = ScanStats()
    infos: dict[Path, FileInfo] = {}
    for kind, paths in by_kind.items():
        infos.update(scan_files(paths, kind, decode=decode, description=f"checking {len(set(paths))} files",
                                stats=scan))
    report.files_checked += scan.probed + scan.cached
    report.files_cached += scan.cached
    report.seconds += scan.seconds

    unusable: list[tuple[str, str]] = []
    missing = False  # a file that does not exist: the datamodule's missing_files_hint applies
    for split, dataset in datasets.items():
        stats = report.splits[split] = SplitStats()
        stats.ignored = list(getattr(dataset, "ignored_files", []))
        sample_files = files[split]
        if sample_files is None:
            in_memory = _array_stats(dataset)
            if in_memory is not None:
                count, size, mode = in_memory
                stats.sizes, stats.modes = [size], Counter({mode: count})
        else:
            bad: dict[int, list[tuple[str, str]]] = {}
            for index, sample in enumerate(sample_files):
                for kind, path in zip(dataset.file_kinds, sample, strict=False):
                    problem = infos[path].problem
                    if problem is not None:
                        missing = missing or problem == "file not found"
                        bad.setdefault(index, []).append((str(path), _reason(kind, problem, sample)))
            if bad and not (datamodule.skip_corrupt or report.stop_on_issues):
                unusable += [entry for index in sorted(bad) for entry in bad[index]]
                with contextlib.suppress(DatasetError):
                    dataset.drop_samples(bad)  # inspect: report them and go on without them
            elif bad and datamodule.skip_corrupt:
                dataset.drop_samples(bad)
                stats.excluded = [entry for index in sorted(bad) for entry in bad[index]]
                if len(dataset) == 0:
                    report.add_issue(f"every sample of the {split} split is unusable:", "delete or replace them",
                                     stats.excluded)
            elif bad:
                unusable += [entry for index in sorted(bad) for entry in bad[index]]
            good = [sample for index, sample in enumerate(sample_files) if index not in bad]
            image_infos = [infos[sample[0]] for sample in good]
            stats.sizes = [(i.width, i.height) for i in image_infos]
            stats.modes = Counter(i.mode for i in image_infos)
        stats.samples = len(dataset)
        label_counts = getattr(dataset, "label_counts", None)
        stats.class_counts = label_counts() if callable(label_counts) else None
    if unusable:
        unique = list(dict.fromkeys(unusable))
        total = len({p for split in splits for sample in files[split] or () for p in sample})
        fix = _SKIP_FIX
        hint = getattr(datamodule, "missing_files_hint", None)
        if hint and missing:
            fix = f"{hint}; or {fix}"
        report.add_issue(f"{len({p for p, _ in unique})} of {total} files cannot be used:", fix, unique)
    _check_classes(datamodule, report, splits)
    datamodule.check_data(report, infos, splits)
    _note_modes(report, datamodule, splits, files, infos)
    report.raise_issues()
    return report


def _note_modes(report: DataReport, datamodule: Any, splits: list[str], files: dict[str, Any],
                infos: dict[Path, FileInfo]) -> None:
    """Say how images of other modes than the model's are converted (``image_modes``), counting
    each file once (test may be the val files)."""
    modes: Counter = Counter()
    seen: set[Path] = set()
    for split in splits:
        sample_files = files[split]
        if sample_files is None:
            modes.update(report.splits[split].modes)
            continue
        for sample in sample_files:
            if sample[0] not in seen and infos[sample[0]].problem is None:
                seen.add(sample[0])
                modes[infos[sample[0]].mode] += 1
    target = "L" if getattr(datamodule, "in_channels", 3) == 1 else "RGB"
    converted = {m: c for m, c in modes.items() if m and m != target}
    if not converted:
        return
    how = {"RGBA": "alpha over white", "LA": "alpha over white", "PA": "alpha over white", "P": "palette colours",
           "I;16": "16-bit scaled to 8", "I": "16-bit scaled to 8", "F": "float scaled to 8-bit",
           "CMYK": "PIL's CMYK->RGB", "1": "black/white as 0/255", "L": "grey repeated to RGB",
           "RGB": "luma (grey)"}
    parts = [f"{count} {mode} ({how.get(mode, 'PIL conversion')})" for mode, count in sorted(converted.items())]
    grey = {"L", "1", "I;16", "I", "F", "LA"}
    hint = "; all are grey: data.in_channels=1 trains on one channel" if target == "RGB" and set(modes) <= grey else ""
    report.note(f"images converted to {target}: {', '.join(parts)}{hint}")
    wide = [path for path in seen if infos[path].mode in _WIDE_MODES]
    if wide:
        note = _narrow_range_note(wide)
        if note:
            report.note(note)


#: Integer modes scaled from the 16-bit range to 8 bits (``image_modes``).
_WIDE_MODES = {"I;16", "I;16B", "I;16L", "I;16N", "I"}
#: 16-bit images read in full to find the largest stored value (a sample of a large folder).
_RANGE_SAMPLE = 32


def _narrow_range_note(paths: list[Path]) -> str | None:
    """A note when 16-bit images hold a narrower range (12-bit camera or microscope data): scaled
    from 65535 they turn near-black and keep few grey levels."""
    checked = sorted(paths)[:_RANGE_SAMPLE]
    largest = 0
    for path in checked:
        try:
            with Image.open(path) as image:
                largest = max(largest, int(np.asarray(image).max(initial=0)))
        except Exception:  # noqa: BLE001 - a file that fails here is reported when it is read
            continue
    bits = max(1, largest.bit_length())
    if largest == 0 or bits > 14:
        return None
    top = 2 ** bits - 1
    return (f"{len(paths)} images stored as 16-bit hold values up to {largest} (the largest in {len(checked)} read; about "
            f"{bits}-bit data, as 12-bit cameras and scanners store it): they are scaled from the 16-bit range "
            f"(65535 -> 255), so they reach only {round(largest / 257)} of 255 and keep about "
            f"{round(largest / 257) + 1} grey levels. nnframe has no setting for another range: save them as 8-bit "
            f"PNGs scaled by their own range (value * 255 / {top}) to keep their contrast")
