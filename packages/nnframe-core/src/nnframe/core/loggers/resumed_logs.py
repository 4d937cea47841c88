"""Resuming from a step checkpoint: drop what the interrupted run logged after that step."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from nnframe.core.checkpointing.safe_load import load_checkpoint
from nnframe.core.loggers.resumable_csv_logger import ResumableCSVLogger


def checkpoint_global_step(path: str | Path) -> int:
    """The ``global_step`` a Lightning checkpoint was saved at (memory-mapped: no weights read)."""
    checkpoint = load_checkpoint(path)
    return int(checkpoint.get("global_step", 0))


def continue_logs_from(loggers: Iterable[Any], global_step: int) -> None:
    """Make a resumed run's loggers forget what the interrupted run logged after its checkpoint.

    Lightning logs batch ``b`` (0-based, counting optimizer steps) at step ``b`` and epoch-end
    metrics at the epoch's last batch, so a checkpoint taken after ``global_step`` steps covers
    the logged steps below ``global_step``. A run killed mid-epoch logged more, which the
    resumed run logs again: the CSV logger drops those rows, so no step appears twice. Call
    before training starts. A ``TensorBoardLogger`` does the same when built with
    ``purge_step=global_step`` (its reader hides the old events from that step on), as
    :func:`~nnframe.core.training.instantiate.build_loggers` builds it; an already built one
    is not changed here.
    """
    for logger in loggers:
        if isinstance(logger, ResumableCSVLogger):
            logger.keep_through_step = global_step - 1
