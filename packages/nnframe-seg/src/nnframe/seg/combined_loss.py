"""A weighted sum of segmentation losses, each built from config."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from nnframe.core.errors import ConfigError


class CombinedLoss(nn.Module):
    """``sum(weight_i * loss_i(logits, target))`` over named terms, e.g. cross-entropy + Dice.

    Args:
        terms: name -> ``{"loss": module, "weight": float}``; each module takes
            ``(logits (B, C, H, W), target (B, H, W) long)`` and returns a scalar.

    The value of every term of the last call is kept in ``last_terms`` (detached) for logging.
    """

    def __init__(self, terms: Mapping[str, Mapping[str, Any]]) -> None:
        super().__init__()
        if not terms:
            raise ConfigError("model.loss.terms is empty; choose a loss, e.g. loss=ce_dice")
        self.losses = nn.ModuleDict()
        self.weights: dict[str, float] = {}
        for name, term in terms.items():
            if "loss" not in term:
                raise ConfigError(f"model.loss.terms.{name} needs a `loss` (with _target_) and a `weight`")
            self.losses[name] = term["loss"]
            self.weights[name] = float(term.get("weight", 1.0))
        self.last_terms: dict[str, torch.Tensor] = {}

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        values = {name: loss(logits, target) for name, loss in self.losses.items()}
        self.last_terms = {name: value.detach() for name, value in values.items()}
        return sum((self.weights[name] * value for name, value in values.items()), torch.zeros((), device=logits.device))
