"""``nnframe <task> tune``: learning rate and batch size for a config, before a long run."""

from nnframe.core.tuning.tune import TuneResult, tune, tune_from_cli

__all__ = ["TuneResult", "tune", "tune_from_cli"]
