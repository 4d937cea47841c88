"""Scans run in threads and are cached per folder by size and modification time."""

from __future__ import annotations

import os
from pathlib import Path

from nnframe.core.data.checks.file_scan import ScanStats, scan_files
from nnframe.core.testing import write_image


def test_second_scan_comes_from_the_cache_and_changed_files_are_probed_again(tmp_path: Path) -> None:
    paths = [write_image(tmp_path / "a" / f"{i}.png", seed=i) for i in range(20)]
    first = ScanStats()
    infos = scan_files(paths, stats=first)
    assert first.probed == 20 and first.cached == 0 and all(i.problem is None for i in infos.values())
    second = ScanStats()
    assert scan_files(paths, stats=second) == infos
    assert second.probed == 0 and second.cached == 20
    paths[3].write_bytes(b"")
    os.utime(paths[4], ns=(0, 10**9))  # only the modification time changes
    third = ScanStats()
    again = scan_files(paths, stats=third)
    assert third.probed == 2 and again[paths[3]].problem == "empty file (0 bytes)"


def test_caches_are_per_kind_and_decode_setting(tmp_path: Path) -> None:
    paths = [write_image(tmp_path / f"{i}.png") for i in range(3)]
    scan_files(paths)
    stats = ScanStats()
    scan_files(paths, decode=True, stats=stats)
    assert stats.probed == 3
    stats = ScanStats()
    labels = scan_files(paths, kind="label", stats=stats)
    assert stats.probed == 3 and all(i.values is not None or i.problem for i in labels.values())
