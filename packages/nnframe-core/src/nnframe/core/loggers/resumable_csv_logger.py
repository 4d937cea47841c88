"""A CSV logger whose ``metrics.csv`` a resumed run continues instead of deleting."""

from __future__ import annotations

import csv

from lightning.fabric.loggers.logger import rank_zero_experiment
from lightning.pytorch.loggers import CSVLogger
from lightning.pytorch.loggers.csv_logs import ExperimentWriter


class _AppendingExperimentWriter(ExperimentWriter):
    """Lightning's CSV writer, except that it continues an existing ``metrics.csv`` (without its
    rows after step ``keep_through_step`` when that is set)."""

    def __init__(self, log_dir: str, keep_through_step: int | None = None) -> None:
        self.keep_through_step = keep_through_step
        super().__init__(log_dir=log_dir)

    def _check_log_dir_exists(self) -> None:
        # Lightning deletes an existing metrics.csv here. Keep it, and start from its columns so
        # that rows with new columns rewrite it with the old and new ones together.
        if not self._fs.isfile(self.metrics_file_path):
            return
        with self._fs.open(self.metrics_file_path, "r", newline="") as file:
            text = file.read()
        # A process killed while writing leaves half a row; the next rows would join it.
        lines = text[: text.rfind("\n") + 1].splitlines(keepends=True)
        keys = next(csv.reader(lines[:1]), [])
        if self.keep_through_step is not None and "step" in keys:
            column = keys.index("step")
            lines = lines[:1] + [line for line, row in zip(lines[1:], csv.reader(lines[1:]), strict=True)
                                 if not row[column] or int(float(row[column])) <= self.keep_through_step]
        kept = "".join(lines)
        if kept != text:  # written aside and renamed into place: a kill leaves the old or new file
            partial = f"{self.metrics_file_path}.partial"
            with self._fs.open(partial, "w", newline="") as file:
                file.write(kept)
            self._fs.mv(partial, self.metrics_file_path)
        self.metrics_keys = keys


class ResumableCSVLogger(CSVLogger):
    """:class:`~lightning.pytorch.loggers.CSVLogger` that appends to the ``metrics.csv`` already in
    its folder, so that a run resumed into the same run directory (``resume=true``) keeps the rows
    of the epochs before the interruption and goes on at the restored step, as TensorBoard does.

    Takes the arguments of ``CSVLogger``; with ``version=""`` it writes to ``<save_dir>/<name>``.
    ``keep_through_step`` (set by :func:`~nnframe.core.loggers.continue_logs_from` when resuming)
    drops the rows an interrupted run logged after its checkpoint's step.
    """

    keep_through_step: int | None = None

    @property
    @rank_zero_experiment
    def experiment(self) -> _AppendingExperimentWriter:
        """The writer of ``metrics.csv`` and ``hparams.yaml`` (rank 0 only)."""
        if self._experiment is None:
            self._fs.makedirs(self.root_dir, exist_ok=True)
            self._experiment = _AppendingExperimentWriter(self.log_dir, self.keep_through_step)
        return self._experiment
