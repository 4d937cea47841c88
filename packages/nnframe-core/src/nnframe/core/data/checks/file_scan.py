"""Probing many files at once: in parallel threads, with a progress bar on large folders, and
cached per folder by file size and modification time, so that a second run starts at once."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nnframe.core.cache import cache_dir
from nnframe.core.data.checks.file_probe import FileInfo, probe_file

#: Bump when FileInfo or the probe changes: old cache entries are then ignored.
CACHE_VERSION = 2  # 2: sizes as a viewer shows the image (EXIF orientation)
#: Files to probe (not counting cached ones) from which a progress bar is shown.
PROGRESS_FROM = 2000


@dataclass
class ScanStats:
    """How a scan went: files probed, taken from the cache, and seconds spent."""

    probed: int = 0
    cached: int = 0
    seconds: float = 0.0


def _workers() -> int:
    # Header reads wait on the disk (or network); decodes release the GIL in PIL's decoders.
    return min(32, 4 * (os.cpu_count() or 2))


def _is_rank_zero() -> bool:
    return all(os.environ.get(name, "0") == "0" for name in ("RANK", "LOCAL_RANK", "SLURM_PROCID"))


def _cache_file(folder: str, kind: str, decode: bool) -> Path:
    key = f"{folder}|{kind}|{decode}|v{CACHE_VERSION}"
    return cache_dir("file_probe") / f"{hashlib.sha1(key.encode()).hexdigest()[:24]}.json"


def _read_cache(path: Path) -> dict[str, list]:
    try:
        return json.loads(path.read_text())["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _write_cache(path: Path, folder: str, entries: dict[str, list]) -> None:
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps({"folder": str(folder), "files": entries}))
        os.replace(tmp, path)
    except OSError:  # a read-only cache only costs the next run its speed
        tmp.unlink(missing_ok=True)


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_size, status.st_mtime_ns


def scan_files(paths: Iterable[Path], kind: str = "image", decode: bool = False, description: str = "checking",
               stats: ScanStats | None = None) -> dict[Path, FileInfo]:
    """:func:`~nnframe.core.data.checks.file_probe.probe_file` on every path, reusing cached answers for
    files whose size and modification time are unchanged.

    Args:
        paths: the files (duplicates are probed once).
        kind: ``image`` or ``label``.
        decode: decode images fully (see ``probe_file``).
        description: label of the progress bar.
        stats: filled with the counts and time.

    Returns:
        ``path -> FileInfo`` for every path.
    """
    start = time.perf_counter()
    unique = list(dict.fromkeys(p if isinstance(p, Path) else Path(p) for p in paths))
    by_folder: dict[str, list[Path]] = defaultdict(list)
    for path in unique:
        by_folder[os.path.abspath(os.path.dirname(path))].append(path)
    # A stat is a few microseconds on a local disk: a loop beats a thread pool's overhead.
    stamps = {path: _stat(path) for path in unique}
    results: dict[Path, FileInfo] = {}
    todo: list[Path] = []
    caches: dict[str, dict[str, list]] = {}
    for folder, files in by_folder.items():
        cached = caches[folder] = _read_cache(_cache_file(folder, kind, decode))
        for path in files:
            entry, stamp = cached.get(path.name), stamps[path]
            if entry is not None and stamp is not None and entry[0] == stamp[0] and entry[1] == stamp[1]:
                results[path] = FileInfo.from_json(entry[2])
            else:
                todo.append(path)
    probed = _probe_all(todo, kind, decode, description) if todo else {}
    results.update(probed)
    for folder, files in by_folder.items():
        changed = [p for p in files if p in probed and stamps[p] is not None]
        if changed:
            entries = caches[folder]
            for path in changed:
                size, mtime = stamps[path]  # type: ignore[misc]
                entries[path.name] = [size, mtime, probed[path].to_json()]
            _write_cache(_cache_file(folder, kind, decode), folder, entries)
    if stats is not None:
        stats.probed += len(todo)
        stats.cached += len(unique) - len(todo)
        stats.seconds += time.perf_counter() - start
    return results


def _probe_all(paths: list[Path], kind: str, decode: bool, description: str) -> dict[Path, FileInfo]:
    def probe(path: Path) -> FileInfo:
        return probe_file(path, kind, decode)

    if len(paths) < 64:  # not worth the threads
        return {path: probe(path) for path in paths}
    with ThreadPoolExecutor(_workers()) as pool:
        if len(paths) < PROGRESS_FROM or not _is_rank_zero():
            return dict(zip(paths, pool.map(probe, paths), strict=True))
        return _probe_with_progress(pool, probe, paths, kind, description)


def _probe_with_progress(pool: ThreadPoolExecutor, probe: Any, paths: list[Path], kind: str,
                         description: str) -> dict[Path, FileInfo]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    results: dict[Path, FileInfo] = {}
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, transient=True) as progress:
        task = progress.add_task(f"{description} ({kind} files, cached for the next run)", total=len(paths))
        for path, info in zip(paths, pool.map(probe, paths), strict=True):
            results[path] = info
            progress.advance(task)
    return results
