"""Sweeps: the record each run leaves (``run.json``), the table of a sweep's runs, and the
names of a sweep's job directories.

Import-light (no torch): ``nnframe runs`` reads finished runs without loading a model.
"""

from nnframe.core.sweeps.overrides import (
    NON_HPARAM_KEYS,
    current_swept_keys,
    hparam_overrides,
    is_hparam_key,
    job_dirname,
    swept_keys,
)
from nnframe.core.sweeps.run_record import RUN_RECORD, read_run_record, write_run_record
from nnframe.core.sweeps.runs_table import RunRow, collect_runs, format_runs_table, runs_main
from nnframe.core.sweeps.sweep_summary_callback import SweepSummaryCallback
from nnframe.core.sweeps.swept_keys_callback import SweptKeysCallback

__all__ = [
    "NON_HPARAM_KEYS",
    "RUN_RECORD",
    "RunRow",
    "SweepSummaryCallback",
    "SweptKeysCallback",
    "collect_runs",
    "current_swept_keys",
    "format_runs_table",
    "hparam_overrides",
    "is_hparam_key",
    "job_dirname",
    "read_run_record",
    "runs_main",
    "swept_keys",
    "write_run_record",
]
