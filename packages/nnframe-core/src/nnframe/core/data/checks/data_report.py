"""What the pre-flight data check found: per split statistics, files left out or ignored, problems
that stop the run, and notes for the user."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nnframe.core.errors import DatasetError

#: Files listed in one message; the full list goes to ``data_check.txt`` in the run directory.
MAX_LISTED = 20


@dataclass
class DataIssue:
    """A problem that stops the run: what is wrong, with which files, and how to fix it.

    Args:
        message: what is wrong.
        fix: what to do about it (a key to set, a file to change).
        files: ``(file, reason)`` pairs, every one of them (the message lists the first few).
    """

    message: str
    fix: str = ""
    files: list[tuple[str, str]] = field(default_factory=list)

    def render(self, max_files: int = MAX_LISTED) -> str:
        lines = [self.message]
        lines += [f"  {path}: {reason}" if reason else f"  {path}" for path, reason in self.files[:max_files]]
        if len(self.files) > max_files:
            lines.append(f"  ... and {len(self.files) - max_files} more")
        if self.fix:
            lines.append(f"Fix: {self.fix}")
        return "\n".join(lines)


@dataclass
class SplitStats:
    """One split as the check saw it.

    Args:
        samples: samples used (after any exclusion).
        sizes: ``(width, height)`` of the images read (may be a sample of them).
        modes: PIL mode -> images.
        excluded: ``(file, reason)`` of samples left out (``data.skip_corrupt=true``).
        ignored: ``(file, reason)`` of files found but not data (not images, macOS metadata).
        class_counts: samples per class (labels per class for multi-label data).
    """

    samples: int = 0
    sizes: list[tuple[int, int]] = field(default_factory=list)
    modes: Counter = field(default_factory=Counter)
    excluded: list[tuple[str, str]] = field(default_factory=list)
    ignored: list[tuple[str, str]] = field(default_factory=list)
    class_counts: list[int] | None = None

    def size_range(self) -> dict[str, tuple[int, int]] | None:
        """``{"min": (w, h), "median": (w, h), "max": (w, h)}`` per dimension, None without sizes."""
        if not self.sizes:
            return None
        array = np.asarray(self.sizes)
        return {"min": tuple(array.min(0).tolist()), "median": tuple(np.median(array, 0).astype(int).tolist()),
                "max": tuple(array.max(0).tolist())}

    def median_short_side(self) -> int | None:
        """The median of ``min(width, height)``, None without sizes."""
        return int(np.median([min(w, h) for w, h in self.sizes])) if self.sizes else None


@dataclass
class DataReport:
    """Everything the pre-flight check found (see :mod:`nnframe.core.data.checks.data_check`).

    Args:
        splits: per split statistics.
        issues: problems that stop the run (all of them are reported together).
        notes: things the user should know that do not stop it.
        resolved: values taken from the data (``data.image_size=auto -> 64 (...)``).
        tables: extra summary tables, ``{title: {"columns": [...], "rows": [[...], ...]}}``.
        files_checked, files_cached, seconds: what the file scan did.
        stop_on_issues: raise on problems (False: ``inspect``, which reports them all and goes on
            without the unusable files).
    """

    splits: dict[str, SplitStats] = field(default_factory=dict)
    issues: list[DataIssue] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    files_checked: int = 0
    files_cached: int = 0
    seconds: float = 0.0
    stop_on_issues: bool = True

    def split(self, name: str) -> SplitStats:
        return self.splits.setdefault(name, SplitStats())

    def add_issue(self, message: str, fix: str = "", files: list[tuple[str, str]] | None = None) -> None:
        self.issues.append(DataIssue(message, fix, list(files or [])))

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    @property
    def excluded_count(self) -> int:
        """Files left out, each counted once (test may be the val files)."""
        return len({path for s in self.splits.values() for path, _ in s.excluded})

    @property
    def ignored_count(self) -> int:
        """Files found but not data, each counted once."""
        return len({path for s in self.splits.values() for path, _ in s.ignored})

    def error_message(self) -> str:
        count = len(self.issues)
        header = f"the data check found {count} problem{'s' if count > 1 else ''} before training:"
        return "\n".join([header, *(issue.render() for issue in self.issues)])

    def raise_issues(self) -> None:
        """Raise one :class:`DatasetError` naming every problem, if there is any."""
        if self.issues and self.stop_on_issues:
            raise DatasetError(self.error_message())

    def listing(self) -> str:
        """Every problem, excluded and ignored file, one per line (``data_check.txt``)."""
        lines = []
        for issue in self.issues:
            lines.append(issue.render(max_files=len(issue.files)))
        for name, split in self.splits.items():
            lines += [f"{name}\texcluded\t{path}\t{reason}" for path, reason in split.excluded]
            lines += [f"{name}\tignored\t{path}\t{reason}" for path, reason in split.ignored]
        lines += [f"note\t{note}" for note in self.notes]
        return "\n".join(lines) + "\n"

    def write(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.listing())
        return path
