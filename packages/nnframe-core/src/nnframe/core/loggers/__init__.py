"""Experiment loggers that continue their files when a run is resumed."""

from nnframe.core.loggers.resumable_csv_logger import ResumableCSVLogger

__all__ = ["ResumableCSVLogger"]
