"""Learning-rate schedules as ``LambdaLR`` factories (usable with ``_partial_: true``)."""

from __future__ import annotations

import math

import torch
from torch.optim.lr_scheduler import LambdaLR


def warmup_cosine(
    optimizer: torch.optim.Optimizer,
    total_steps: int,
    warmup_fraction: float = 0.05,
    warmup_steps: int | None = None,
    min_lr_ratio: float = 0.0,
) -> LambdaLR:
    """Linear warm-up then cosine decay to ``min_lr_ratio`` times the base learning rate.

    Args:
        optimizer: the optimizer whose learning rates are scheduled.
        total_steps: optimizer steps of the whole run (given by the task module).
        warmup_fraction: warm-up length as a fraction of ``total_steps``.
        warmup_steps: warm-up length in steps; overrides ``warmup_fraction``.
        min_lr_ratio: final learning rate as a fraction of the base one.
    """
    total_steps = max(1, total_steps)
    warmup = warmup_steps if warmup_steps is not None else int(warmup_fraction * total_steps)

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = min(1.0, (step - warmup) / max(1, total_steps - warmup))
        return min_lr_ratio + (1 - min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))

    return LambdaLR(optimizer, factor)
