"""LightningModule bases shared by the task packages."""

from nnframe.core.modules.task_module import TaskModule

__all__ = ["TaskModule"]
