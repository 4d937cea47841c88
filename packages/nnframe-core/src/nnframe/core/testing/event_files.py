"""What a run's TensorBoard event files hold, read back for tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def event_summaries(run_dir: str | Path) -> dict[str, list[Any]]:
    """Every summary value in ``run_dir``'s event files (not its sub-runs), by tag, in file order.

    Returns:
        tag -> the ``Summary.Value`` protos logged under it (scalars, images, text, hparams).
    """
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

    found: dict[str, list[Any]] = {}
    for path in sorted(Path(run_dir).glob("events.out.tfevents.*")):
        for event in EventFileLoader(str(path)).Load():
            for value in event.summary.value:
                found.setdefault(value.tag, []).append(value)
    return found
