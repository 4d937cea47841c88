"""Write a datamodule's checked splits as tar shards (what ``nnframe <task> shard`` runs)."""

from __future__ import annotations

import os
import random
from collections import Counter
from pathlib import Path
from typing import Any

import webdataset as wds

from nnframe.core.data.shards.shard_index import INDEX_NAME, write_index
from nnframe.core.errors import DatasetError

#: Image sizes kept per split in the index (for ``image_size=auto``'s median).
SIZES_KEPT = 2000


def _targets(dataset: Any, split: str) -> list[int] | None:
    if getattr(dataset, "multi_label", False):
        raise DatasetError(f"the {split} split is multi-label: shards hold one class per image (cls); "
                           "train multi-label data from its CSV")
    targets = dataset.targets
    return None if targets is None else [int(t) for t in targets]


def shardable_files(dataset: Any, split: str) -> list:
    """The split's sample files, or a :class:`DatasetError` saying why this data cannot be sharded
    (checked for every split before anything is written, so a refusal leaves no folder behind)."""
    files = dataset.sample_files() if callable(getattr(dataset, "sample_files", None)) else None
    if files is None:
        raise DatasetError(f"the {split} split of this data is not read from files (in-memory or downloaded "
                           "arrays): shards are written from image folders, CSVs and mask folders (data=image_folder, "
                           "data=csv, data=mask_folder)")
    if list(dataset.file_kinds) != ["image"]:
        raise DatasetError(f"the {split} split's samples are {' + '.join(dataset.file_kinds)} files: data=webdataset "
                           "reads images with one class each (cls, ssl); train image + mask data from its folder")
    return files


def write_split(dataset: Any, split: str, folder: Path, samples_per_shard: int, seed: int,
                report: Any = None) -> dict[str, Any]:
    """Write one split's samples (the image file's bytes as stored, under its extension, and the
    label as ``cls``) to ``folder/<split>/shard-NNNNNN.tar``; the training split in an order
    shuffled from ``seed`` (a stream reads shards in order, so they must not hold one class each).

    Returns:
        The split's entry of ``shards.json``.
    """
    files = shardable_files(dataset, split)
    targets = _targets(dataset, split)
    order = list(range(len(files)))
    if split == "train":
        random.Random(seed).shuffle(order)
    out = folder / split
    out.mkdir(parents=True, exist_ok=True)
    counts: list[int] = []
    with wds.ShardWriter(str(out / "shard-%06d.tar"), maxcount=samples_per_shard, verbose=0) as sink:
        for number, index in enumerate(order):
            sample: dict[str, Any] = {"__key__": f"{number:09d}"}
            path = files[index][0]
            sample[path.suffix.lower().lstrip(".") or "bin"] = path.read_bytes()  # the file as stored, not re-encoded
            if targets is not None:
                sample["cls"] = str(targets[index]).encode()
            sink.write(sample)
            if number % samples_per_shard == 0:
                counts.append(0)
            counts[-1] += 1
    stats = report.splits.get(split) if report is not None else None
    entry: dict[str, Any] = {"pattern": f"{split}/shard-{{000000..{len(counts) - 1:06d}}}.tar", "counts": counts}
    label_counts = getattr(dataset, "label_counts", None)
    if callable(label_counts) and label_counts() is not None:
        entry["class_counts"] = list(label_counts())
    if stats is not None:
        entry["sizes"] = [list(s) for s in stats.sizes[:SIZES_KEPT]]
        entry["modes"] = dict(Counter(stats.modes))
    return entry


def write_shards(datamodule: Any, output_dir: str | os.PathLike, samples_per_shard: int = 1000,
                 splits: tuple[str, ...] = ("train", "val", "test")) -> Path:
    """Write ``splits`` of a set-up datamodule (after its pre-flight check) as shards under
    ``output_dir`` and the index ``shards.json`` beside them (``data=webdataset data.shards=<output_dir>``).

    Returns:
        The index file.
    """
    for split in splits:
        if split in datamodule.datasets:
            shardable_files(datamodule.datasets[split], split)
            _targets(datamodule.datasets[split], split)
    folder = Path(output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    entries = {split: write_split(datamodule.datasets[split], split, folder, samples_per_shard, datamodule.seed,
                                  datamodule.data_report)
               for split in splits if split in datamodule.datasets}
    write_index(str(folder / INDEX_NAME), list(datamodule.class_names), entries)
    return folder / INDEX_NAME
