"""What a run is, for TensorBoard: its hyperparameters (HPARAMS) and its description (TEXT)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import lightning as L
from lightning.pytorch.utilities import rank_zero_only

from nnframe.core.callbacks._hparams_experiment import write_contribution, write_experiment_summary
from nnframe.core.callbacks._tensorboard import tensorboard_writer
from nnframe.core.compat.torch import summary_file_writer

HParamValue = float | int | str | bool


def _session_summary(tag: str, plugin_data: Any) -> Any:
    from tensorboard.compat.proto.summary_pb2 import Summary
    from tensorboard.plugins.hparams import metadata

    return Summary(value=[Summary.Value(tag=tag, metadata=metadata.create_summary_metadata(plugin_data))])


def session_start_summary(hparams: Mapping[str, HParamValue], trial_id: str = "") -> Any:
    """The HParams plugin's ``session_start_info`` summary of one run (no experiment summary).

    The run holds no experiment summary: TensorBoard would use the first one it finds for all
    runs, so the columns of the other tasks' runs would be missing. The one experiment summary
    is written at the log directory's root from every run's contribution
    (:func:`~nnframe.core.callbacks._hparams_experiment.write_experiment_summary`).

    ``trial_id`` is the HPARAMS table's "Trial ID" (its session group's name; TensorBoard shows
    the run's path otherwise, cut after its first ~20 characters, the same for every job of a
    sweep). Two runs with the same one are averaged into one row, so it must be unique.
    """
    from tensorboard.plugins.hparams import metadata, plugin_data_pb2

    info = plugin_data_pb2.SessionStartInfo(group_name=trial_id)
    for name, value in hparams.items():
        if isinstance(value, bool):  # before int: a bool is an int
            info.hparams[name].bool_value = value
        elif isinstance(value, int | float) and math.isfinite(value):
            info.hparams[name].number_value = float(value)
        else:
            info.hparams[name].string_value = str(value)
    return _session_summary(metadata.SESSION_START_INFO_TAG, plugin_data_pb2.HParamsPluginData(session_start_info=info))


def text_summary(tag: str, markdown: str) -> Any:
    """A TEXT entry under ``tag`` itself (``SummaryWriter.add_text`` appends ``/text_summary``)."""
    from torch.utils.tensorboard.summary import text

    summary = text(tag, markdown)
    summary.value[0].tag = tag
    return summary


def session_end_summary(status: str) -> Any:
    """The ``session_end_info`` summary; ``status`` is ``success``, ``failure`` or ``running``."""
    from tensorboard.plugins.hparams import api_pb2, metadata, plugin_data_pb2

    value = {"success": api_pb2.STATUS_SUCCESS, "failure": api_pb2.STATUS_FAILURE,
             "running": api_pb2.STATUS_RUNNING}.get(status, api_pb2.STATUS_UNKNOWN)
    info = plugin_data_pb2.SessionEndInfo(status=value)
    return _session_summary(metadata.SESSION_END_INFO_TAG, plugin_data_pb2.HParamsPluginData(session_end_info=info))


class RunInfoCallback(L.Callback):
    """Writes a run's hyperparameters and text entries to TensorBoard when fitting starts, and
    its status ``success`` when it has finished.

    A failed or interrupted run gets no end status (HPARAMS shows "Unknown"; ``run.json`` says
    why): TensorBoard keeps the first status written, so a resumed run that finishes would
    stay "failure" for ever.

    Args:
        hparams: HPARAMS columns, ``name -> value`` (numbers become numeric columns).
        text: TEXT entries, ``tag -> markdown``.
        ends_after_test: the run tests after fitting: its session ends with the test.
        log_root: the log directory TensorBoard is opened on (``paths.log_dir``): the HPARAMS
            experiment summary of all runs under it is rewritten there, its metric columns the
            monitored and validation metrics (with none, TensorBoard shows ``train/*`` columns
            first). None: no experiment summary.
        monitor: the monitored metric (``val/acc``), the first metric column.
        trial_id: the run's name in HPARAMS, unique under the log root (see
            :func:`session_start_summary`); empty: its path.
    """

    def __init__(self, hparams: Mapping[str, HParamValue], text: Mapping[str, str],
                 ends_after_test: bool = False, log_root: str | None = None, monitor: str | None = None,
                 trial_id: str = "") -> None:
        self.hparams = dict(hparams)
        self.text = dict(text)
        self.ends_after_test = ends_after_test
        self.log_root = log_root
        self.monitor = monitor
        self.trial_id = trial_id
        self._ended = False
        self._metric_columns: dict[tuple[str, str], None] = {}  # (group, tag), in order seen

    def _note_metrics(self, trainer: L.Trainer) -> None:
        """The validation and test metrics so far (the test loop drops the validation ones)."""
        from nnframe.core.loggers.tensorboard_run_logger import TEST_RUN, TensorBoardRunLogger

        for name in trainer.callback_metrics:
            if name.count("/") == 1 and name.startswith(("val/", "test/")):  # not curves, not per class
                tag, sub_run = TensorBoardRunLogger.tensorboard_tag(name)
                self._metric_columns[(TEST_RUN if sub_run else "", tag)] = None

    def _write_experiment(self, trainer: L.Trainer) -> None:
        """This run's HPARAMS columns next to its event files, then the log root's summary."""
        writer = tensorboard_writer(trainer)
        if self.log_root is None or writer is None:
            return
        self._note_metrics(trainer)
        write_contribution(writer.get_logdir(), self.hparams, list(self._metric_columns), self.monitor)
        write_experiment_summary(self.log_root)

    def _write(self, trainer: L.Trainer, summary: Any) -> None:
        writer = tensorboard_writer(trainer)
        if writer is not None:
            summary_file_writer(writer).add_summary(summary, trainer.global_step)
            writer.flush()

    @rank_zero_only
    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        writer = tensorboard_writer(trainer)
        if writer is None:
            return
        self._ended = False
        self._write(trainer, session_start_summary(self.hparams, self.trial_id))
        for tag, markdown in self.text.items():
            self._write(trainer, text_summary(tag, markdown))
        self._write_experiment(trainer)

    def _end(self, trainer: L.Trainer, status: str) -> None:
        if not self._ended and trainer.is_global_zero:
            self._ended = True
            self._write(trainer, session_end_summary(status))
            self._write_experiment(trainer)

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not trainer.sanity_checking:
            self._note_metrics(trainer)

    def on_fit_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not self.ends_after_test and not trainer.interrupted:
            self._end(trainer, "success")

    def on_test_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._end(trainer, "success")

