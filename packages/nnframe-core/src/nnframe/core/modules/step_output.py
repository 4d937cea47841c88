"""What one step of a task module returns to core: the loss, the outputs and the target."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch


@dataclass
class StepOutput:
    """The result of :meth:`~nnframe.core.modules.TaskModule.model_step` on one batch.

    Core reads only these fields; what ``outputs`` and ``target`` hold is the task's business
    (logits and class indices for classification, a list of dicts of boxes for detection), and
    goes back to the task's own methods (``update_metrics``, ``predictions``, the figures).

    Args:
        loss: the loss to optimise (training) or to log as ``<stage>/loss`` (evaluation); None
            where there is none (a model that computes its losses in training mode only).
        outputs: the model's outputs for the metrics and predictions; None: nothing for the
            metrics this step (a self-supervised training step, a detector's training losses).
        target: the batch's targets as the metrics take them.
        losses: named parts of the loss, logged as ``<stage>/loss_<name>`` (a detector's
            ``loss_classifier``, ``loss_box_reg`` are logged as ``train/loss_classifier`` ...:
            a name already starting with ``loss_`` keeps its name).
    """

    loss: torch.Tensor | None
    outputs: Any
    target: Any
    losses: dict[str, torch.Tensor] = field(default_factory=dict)
