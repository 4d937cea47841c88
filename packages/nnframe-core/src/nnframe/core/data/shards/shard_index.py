"""The index written beside a dataset's shards (``shards.json``): each split's shard pattern and
sample counts, the class names, and a sample of image sizes for ``image_size=auto``.

Format (hand-written shards need it too)::

    {"version": 1, "classes": ["circle", "square"],
     "splits": {"train": {"pattern": "train/shard-{000000..000003}.tar",
                          "counts": [100, 100, 100, 37],        # samples per shard
                          "class_counts": [220, 217],           # optional, for the summary
                          "sizes": [[32, 32], ...],             # optional: (width, height) of some images
                          "modes": {"RGB": 437}}}}              # optional
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import braceexpand

from nnframe.core.errors import DatasetError

INDEX_NAME = "shards.json"
INDEX_VERSION = 1


def is_url(location: str) -> bool:
    """Whether ``location`` is a URL (``https://``, ``s3://``, ``pipe:``...) rather than a local path."""
    return "://" in location or location.startswith("pipe:")


def join(base: str, relative: str) -> str:
    """``relative`` below ``base`` (a folder or a URL prefix); an absolute path or URL is kept."""
    if is_url(relative) or relative.startswith("/"):
        return relative
    return base.rstrip("/") + "/" + relative


@dataclass
class SplitShards:
    """One split's shards: their URLs or paths (braces expanded) and the samples in each."""

    urls: list[str]
    counts: list[int]
    class_counts: list[int] | None = None
    sizes: list[tuple[int, int]] = field(default_factory=list)
    modes: dict[str, int] = field(default_factory=dict)

    @property
    def samples(self) -> int:
        return sum(self.counts)


@dataclass
class ShardIndex:
    """What ``shards.json`` holds, with the shard locations resolved against its folder or URL."""

    location: str
    classes: list[str]
    splits: dict[str, SplitShards]


def read_index(location: str) -> ShardIndex:
    """Read ``<location>/shards.json`` (a local folder or a URL the WebDataset library opens).

    Raises:
        DatasetError: the index is missing or malformed, naming it and the command that writes it.
    """
    from webdataset.gopen import gopen

    path = join(location, INDEX_NAME)
    how = ("write the shards with `nnframe <task> shard data=<the folder's data config> ... shard.output_dir="
           f"{location}`, or write {INDEX_NAME} by hand (format in nnframe.core.data.shards.shard_index)")
    try:
        with gopen(path, "rb") as stream:
            raw = json.loads(stream.read())
    except (OSError, ValueError, RuntimeError) as error:
        raise DatasetError(f"cannot read the shard index {path} ({error}): data.shards names the folder or URL "
                           f"that holds {INDEX_NAME}; {how}") from error
    try:
        splits = {}
        for split, entry in raw["splits"].items():
            urls = [join(location, url) for url in braceexpand.braceexpand(entry["pattern"])]
            counts = [int(c) for c in entry["counts"]]
            if len(urls) != len(counts):
                raise ValueError(f"split {split}: {len(urls)} shards in the pattern but {len(counts)} counts")
            splits[split] = SplitShards(urls, counts, entry.get("class_counts"),
                                        [tuple(s) for s in entry.get("sizes", [])], dict(entry.get("modes", {})))
        return ShardIndex(location, list(raw["classes"]), splits)
    except (KeyError, TypeError, ValueError) as error:
        raise DatasetError(f"malformed shard index {path}: {error}; {how}") from error


def write_index(path: str, classes: list[str], splits: dict[str, dict[str, Any]]) -> None:
    """Write ``shards.json`` at ``path`` (``splits``: split -> the entry described above)."""
    with open(path, "w") as stream:
        json.dump({"version": INDEX_VERSION, "classes": classes, "splits": splits}, stream)
