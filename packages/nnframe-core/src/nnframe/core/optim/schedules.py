"""Learning-rate schedules as ``LambdaLR`` factories (usable with ``_partial_: true``)."""

from __future__ import annotations

import math

import torch
from torch.optim.lr_scheduler import LambdaLR


def cosine_value(progress: float, start: float, end: float) -> float:
    """Half a cosine from ``start`` (``progress`` 0) to ``end`` (``progress`` 1 and beyond)."""
    progress = min(1.0, max(0.0, progress))
    return end + (start - end) * 0.5 * (1 + math.cos(math.pi * progress))


class WarmupCosine(LambdaLR):
    """:class:`~torch.optim.lr_scheduler.LambdaLR` that can also move the weight decay.

    With ``weight_decay_end``, every step sets the weight decay of each parameter group that
    starts with one (the groups with ``weight_decay=0``, biases and norms, keep none) on a
    cosine from its initial value to ``weight_decay_end`` over ``total_steps``, as DINO does
    (0.04 to 0.4). The initial value is kept in the group as ``initial_weight_decay`` (saved
    with the optimizer, like LambdaLR's ``initial_lr``).
    """

    def __init__(self, optimizer: torch.optim.Optimizer, lr_lambda: object, total_steps: int,
                 weight_decay_end: float | None = None) -> None:
        # Set before LambdaLR's constructor, which takes the first step.
        self.total_steps = max(1, total_steps)
        self.weight_decay_end = weight_decay_end
        if weight_decay_end is not None:
            for group in optimizer.param_groups:
                group.setdefault("initial_weight_decay", group.get("weight_decay", 0.0))
        super().__init__(optimizer, lr_lambda)  # type: ignore[arg-type]

    def step(self, epoch: int | None = None) -> None:  # type: ignore[override]
        super().step(epoch)
        if self.weight_decay_end is None:
            return
        progress = self.last_epoch / self.total_steps
        for group in self.optimizer.param_groups:
            if group["initial_weight_decay"] > 0:
                group["weight_decay"] = cosine_value(progress, group["initial_weight_decay"], self.weight_decay_end)


def warmup_cosine(
    optimizer: torch.optim.Optimizer,
    total_steps: int,
    warmup_fraction: float = 0.05,
    warmup_steps: int | None = None,
    min_lr_ratio: float = 0.0,
    weight_decay_end: float | None = None,
) -> WarmupCosine:
    """Linear warm-up then cosine decay to ``min_lr_ratio`` times the base learning rate.

    Parameter groups with ``fixed_lr: True`` (e.g. SimSiam's predictor, tagged with
    :func:`~nnframe.core.optim.set_param_group_options`) keep their base learning rate.

    Args:
        optimizer: the optimizer whose learning rates are scheduled.
        total_steps: optimizer steps of the whole run (given by the task module).
        warmup_fraction: warm-up length as a fraction of ``total_steps``.
        warmup_steps: warm-up length in steps; overrides ``warmup_fraction``.
        min_lr_ratio: final learning rate as a fraction of the base one.
        weight_decay_end: if set, the weight decay follows a cosine from the optimizer's to
            this value (see :class:`WarmupCosine`).
    """
    total_steps = max(1, total_steps)
    warmup = warmup_steps if warmup_steps is not None else int(warmup_fraction * total_steps)

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return cosine_value((step - warmup) / max(1, total_steps - warmup), 1.0, min_lr_ratio)

    def fixed(step: int) -> float:
        return 1.0

    lambdas = [fixed if group.get("fixed_lr", False) else factor for group in optimizer.param_groups]
    return WarmupCosine(optimizer, lambdas, total_steps, weight_decay_end)


def poly_value(progress: float, start: float, end: float, power: float) -> float:
    """Polynomial decay from ``start`` (``progress`` 0) to ``end`` (``progress`` 1 and beyond)."""
    progress = min(1.0, max(0.0, progress))
    return end + (start - end) * (1.0 - progress) ** power


def warmup_poly(
    optimizer: torch.optim.Optimizer,
    total_steps: int,
    power: float = 0.9,
    warmup_fraction: float = 0.0,
    warmup_steps: int | None = None,
    min_lr_ratio: float = 0.0,
) -> LambdaLR:
    """Optional linear warm-up, then ``(1 - progress) ** power`` decay: the "poly" schedule of
    DeepLab (Chen et al., 2017) and mmsegmentation's ``PolyLR`` (power 0.9), stepped per batch.

    One ``LambdaLR`` rather than torch's ``SequentialLR(LinearLR, PolynomialLR)``, so parameter
    groups with ``fixed_lr: True`` keep their rate as with :func:`warmup_cosine`.

    Args:
        optimizer: the optimizer whose learning rates are scheduled.
        total_steps: optimizer steps of the whole run (given by the task module).
        power: the exponent (0.9 in DeepLab and mmsegmentation; 1.0 is linear decay).
        warmup_fraction: warm-up length as a fraction of ``total_steps``.
        warmup_steps: warm-up length in steps; overrides ``warmup_fraction``.
        min_lr_ratio: final learning rate as a fraction of the base one (mmsegmentation's
            ``eta_min`` over the base rate).
    """
    total_steps = max(1, total_steps)
    warmup = warmup_steps if warmup_steps is not None else int(warmup_fraction * total_steps)

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return poly_value((step - warmup) / max(1, total_steps - warmup), 1.0, min_lr_ratio, power)

    def fixed(step: int) -> float:
        return 1.0

    return LambdaLR(optimizer, [fixed if group.get("fixed_lr", False) else factor for group in optimizer.param_groups])
