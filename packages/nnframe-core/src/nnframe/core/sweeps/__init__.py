"""Sweeps: the record each run leaves (``run.json``) and the table of a sweep's runs.

Import-light (no torch): ``nnframe runs`` reads finished runs without loading a model.
"""

from nnframe.core.sweeps.run_record import RUN_RECORD, read_run_record, write_run_record
from nnframe.core.sweeps.runs_table import RunRow, collect_runs, format_runs_table, runs_main

__all__ = [
    "RUN_RECORD",
    "RunRow",
    "collect_runs",
    "format_runs_table",
    "read_run_record",
    "runs_main",
    "write_run_record",
]
