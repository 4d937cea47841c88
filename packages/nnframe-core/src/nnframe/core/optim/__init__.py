"""Optimizer parameter groups and learning-rate schedules shared by the tasks."""

from nnframe.core.optim.param_groups import is_no_weight_decay, parameter_groups, set_param_group_options
from nnframe.core.optim.schedules import WarmupCosine, cosine_value, warmup_cosine

__all__ = ["WarmupCosine", "cosine_value", "is_no_weight_decay", "parameter_groups", "set_param_group_options",
           "warmup_cosine"]
