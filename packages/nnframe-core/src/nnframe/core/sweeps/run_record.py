"""``run.json``: how a run ended (completed / failed / interrupted) and its final metrics."""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

RUN_RECORD = "run.json"


def write_run_record(
    output_dir: str | Path,
    status: str,
    metrics: dict[str, float] | None = None,
    error: str | None = None,
    **extra: Any,
) -> Path:
    """Write ``<output_dir>/run.json`` atomically (a sweep reader never sees half a file).

    Args:
        output_dir: the run directory.
        status: ``completed``, ``failed`` or ``interrupted`` (stopped by a signal).
        metrics: final metrics; non-finite values are stored as null.
        error: the error message of a failed run.
        extra: more JSON-able fields (e.g. ``action``).
    """
    path = Path(output_dir) / RUN_RECORD
    path.parent.mkdir(parents=True, exist_ok=True)
    clean = {k: (float(v) if math.isfinite(float(v)) else None) for k, v in (metrics or {}).items()}
    record = {"status": status, "metrics": clean, "error": error, **extra}
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".run.", suffix=".json")
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; a run record is as readable as any file
        with os.fdopen(fd, "w") as file:
            json.dump(record, file, indent=2, sort_keys=True)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def read_run_record(run_dir: str | Path) -> dict[str, Any] | None:
    """The run's record, or None when it has none (still running, or killed)."""
    path = Path(run_dir) / RUN_RECORD
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None
