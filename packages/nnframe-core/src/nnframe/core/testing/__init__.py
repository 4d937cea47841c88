"""Helpers for tests of nnframe and of task packages: compose a run config, toy data and model,
tiny copies of real datasets."""

from nnframe.core.testing.compose import QUIET_RUN, compose_task_config
from nnframe.core.testing.datasets import write_imagenette, write_shapes_folder
from nnframe.core.testing.faults import CrashCallback, PoisonWeightsCallback, SignalCallback
from nnframe.core.testing.rank_loss import RankLossRecorder
from nnframe.core.testing.toy import ToyClassifier, ToyDataModule

__all__ = [
    "QUIET_RUN",
    "CrashCallback",
    "PoisonWeightsCallback",
    "RankLossRecorder",
    "SignalCallback",
    "ToyClassifier",
    "ToyDataModule",
    "compose_task_config",
    "write_imagenette",
    "write_shapes_folder",
]
