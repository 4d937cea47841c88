"""Experiment loggers: TensorBoard arranged for reading, and files that continue on resume."""

from nnframe.core.loggers.resumable_csv_logger import ResumableCSVLogger
from nnframe.core.loggers.resumed_logs import checkpoint_global_step, continue_logs_from
from nnframe.core.loggers.tensorboard_run_logger import TensorBoardRunLogger

__all__ = ["ResumableCSVLogger", "TensorBoardRunLogger", "checkpoint_global_step", "continue_logs_from"]
