"""Helpers for tests of nnframe and of task packages: compose a run config, toy data and model."""

from nnframe.core.testing.compose import compose_task_config
from nnframe.core.testing.toy import ToyClassifier, ToyDataModule

__all__ = ["ToyClassifier", "ToyDataModule", "compose_task_config"]
