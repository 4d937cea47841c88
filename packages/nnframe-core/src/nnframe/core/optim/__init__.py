"""Optimizer parameter groups and learning-rate schedules shared by the tasks."""

from nnframe.core.optim.fused import build_optimizer
from nnframe.core.optim.layer_decay import layer_decay_options, layer_ids
from nnframe.core.optim.param_groups import is_no_weight_decay, parameter_groups, set_param_group_options
from nnframe.core.optim.schedules import WarmupCosine, cosine_value, poly_value, warmup_cosine, warmup_poly

__all__ = ["WarmupCosine", "build_optimizer", "cosine_value", "is_no_weight_decay", "layer_decay_options", "layer_ids",
           "parameter_groups", "poly_value", "set_param_group_options", "warmup_cosine", "warmup_poly"]
