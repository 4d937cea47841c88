"""LightningModule bases shared by the task packages, and the batch contract core asks them through."""

from nnframe.core.modules.not_applicable import not_applicable
from nnframe.core.modules.step_output import StepOutput
from nnframe.core.modules.task_module import TaskModule

__all__ = ["StepOutput", "TaskModule", "not_applicable"]
