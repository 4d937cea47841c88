"""Experiment loggers that continue their files when a run is resumed."""

from nnframe.core.loggers.resumable_csv_logger import ResumableCSVLogger
from nnframe.core.loggers.resumed_logs import checkpoint_global_step, continue_logs_from

__all__ = ["ResumableCSVLogger", "checkpoint_global_step", "continue_logs_from"]
