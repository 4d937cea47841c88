"""A CSV logger whose ``metrics.csv`` a resumed run continues instead of deleting."""

from __future__ import annotations

import csv

from lightning.fabric.loggers.logger import rank_zero_experiment
from lightning.pytorch.loggers import CSVLogger
from lightning.pytorch.loggers.csv_logs import ExperimentWriter


class _AppendingExperimentWriter(ExperimentWriter):
    """Lightning's CSV writer, except that it continues an existing ``metrics.csv``."""

    def _check_log_dir_exists(self) -> None:
        # Lightning deletes an existing metrics.csv here. Keep it, and start from its columns so
        # that rows with new columns rewrite it with the old and new ones together.
        if not self._fs.isfile(self.metrics_file_path):
            return
        with self._fs.open(self.metrics_file_path, "r", newline="") as file:
            text = file.read()
        if text and not text.endswith("\n"):
            # A process killed while writing leaves half a row; the next rows would join it.
            with self._fs.open(self.metrics_file_path, "w", newline="") as file:
                file.write(text[: text.rfind("\n") + 1])
        self.metrics_keys = next(csv.reader(text.splitlines()), [])


class ResumableCSVLogger(CSVLogger):
    """:class:`~lightning.pytorch.loggers.CSVLogger` that appends to the ``metrics.csv`` already in
    its folder, so that a run resumed into the same run directory (``resume=true``) keeps the rows
    of the epochs before the interruption and goes on at the restored step, as TensorBoard does.

    Takes the arguments of ``CSVLogger``; with ``version=""`` it writes to ``<save_dir>/<name>``.
    """

    @property
    @rank_zero_experiment
    def experiment(self) -> _AppendingExperimentWriter:
        """The writer of ``metrics.csv`` and ``hparams.yaml`` (rank 0 only)."""
        if self._experiment is None:
            self._fs.makedirs(self.root_dir, exist_ok=True)
            self._experiment = _AppendingExperimentWriter(log_dir=self.log_dir)
        return self._experiment
