"""A CSV logger whose ``metrics.csv`` a resumed run continues instead of deleting."""

from __future__ import annotations

import csv
import warnings
from typing import Any

from lightning.fabric.loggers.logger import rank_zero_experiment
from lightning.fabric.utilities.cloud_io import get_filesystem
from lightning.pytorch.loggers import CSVLogger
from lightning.pytorch.loggers.csv_logs import ExperimentWriter


def _kept_rows(text: str, keep_through_step: int | None) -> tuple[str, list[str]]:
    """The rows of an existing ``metrics.csv`` to continue (``text``), and its columns: without a
    half-written last row, and without the rows after step ``keep_through_step`` when it is set."""
    # A process killed while writing leaves half a row; the next rows would join it.
    lines = text[: text.rfind("\n") + 1].splitlines(keepends=True)
    keys = next(csv.reader(lines[:1]), [])
    if keep_through_step is not None and "step" in keys:
        column = keys.index("step")
        lines = lines[:1] + [line for line, row in zip(lines[1:], csv.reader(lines[1:]), strict=True)
                             if not row[column] or int(float(row[column])) <= keep_through_step]
    return "".join(lines), keys


class ResumableCSVLogger(CSVLogger):
    """:class:`~lightning.pytorch.loggers.CSVLogger` that appends to the ``metrics.csv`` already in
    its folder, so that a run resumed into the same run directory (``resume=true``) keeps the rows
    of the epochs before the interruption and goes on at the restored step, as TensorBoard does.

    Takes the arguments of ``CSVLogger``; with ``version=""`` it writes to ``<save_dir>/<name>``.
    ``keep_through_step`` (set by :func:`~nnframe.core.loggers.continue_logs_from` when resuming)
    drops the rows an interrupted run logged after its checkpoint's step.
    """

    keep_through_step: int | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._continued_writer: ExperimentWriter | None = None

    @property
    @rank_zero_experiment
    def experiment(self) -> ExperimentWriter:
        """The writer of ``metrics.csv`` and ``hparams.yaml`` (rank 0 only)."""
        if self._continued_writer is not None:
            return self._continued_writer
        # Lightning's writer deletes an existing metrics.csv as it is made (warning that the old
        # logs "will be deleted"): set it aside first, then put back the rows to continue. A run
        # killed in between finds the rows aside next time.
        path = f"{self.log_dir}/metrics.csv"
        aside = f"{path}.resumed"
        fs = get_filesystem(path)
        if fs.isfile(path):
            fs.mv(path, aside)
        text = ""
        if fs.isfile(aside):
            with fs.open(aside, "r", newline="") as file:
                text = file.read()
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Experiment logs directory .* exists and is not empty")
            writer = super().experiment
        if text:
            kept, keys = _kept_rows(text, self.keep_through_step)
            partial = f"{path}.partial"  # written aside and renamed into place
            with fs.open(partial, "w", newline="") as file:
                file.write(kept)
            fs.mv(partial, path)
            writer.metrics_keys = keys  # rows with new columns rewrite the file with old and new ones
        if fs.isfile(aside):
            fs.rm_file(aside)
        self._continued_writer = writer
        return writer
