"""What every self-supervised method provides to :class:`~nnframe.ssl.SSLModule`."""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod

import torch
from lightly.models.utils import deactivate_requires_grad, update_momentum
from torch import nn


class SSLMethod(nn.Module, ABC):
    """The heads and the loss of one method, on top of a backbone the module owns.

    The backbone is passed to :meth:`loss` rather than stored, so that its weights appear once
    in the checkpoint (``backbone.*``) and export takes them from one place.

    Args:
        backbone: the encoder; only read here (its ``num_features``, and a copy for the
            momentum methods).
    """

    #: Whether the method keeps an exponential-moving-average copy (teacher / key encoder).
    uses_momentum: bool = False

    def __init__(self, backbone: nn.Module) -> None:
        super().__init__()
        self.input_dim = int(backbone.num_features)

    @abstractmethod
    def loss(self, backbone: nn.Module, views: list[torch.Tensor], epoch: int) -> torch.Tensor:
        """The training loss of one batch.

        Args:
            backbone: the online encoder.
            views: augmented views, each of shape (batch, channels, height, width); global
                views first (multi-crop methods add smaller local views after them).
            epoch: the current epoch (for schedules inside a loss, e.g. DINO's teacher temperature).
        """

    def momentum_update(self, backbone: nn.Module, momentum: float) -> None:
        """Move the momentum copies towards the online networks (momentum methods only)."""

    def on_after_backward(self, epoch: int) -> None:
        """Adjust gradients before the optimizer step (e.g. DINO freezes its last layer)."""


class MomentumSSLMethod(SSLMethod):
    """A method with an EMA copy of the backbone and of some heads.

    Subclasses list ``(online, momentum)`` module pairs in :meth:`momentum_pairs`.

    Args:
        backbone: the encoder, copied as the momentum encoder.
        momentum_start: EMA momentum at the first step.
        momentum_end: EMA momentum at the last step (cosine schedule in between; equal to
            ``momentum_start`` for a constant momentum).
    """

    uses_momentum = True

    def __init__(self, backbone: nn.Module, momentum_start: float = 0.996, momentum_end: float = 1.0) -> None:
        super().__init__(backbone)
        self.momentum_start = momentum_start
        self.momentum_end = momentum_end
        self.backbone_momentum = self.frozen_copy(backbone)

    @staticmethod
    def frozen_copy(module: nn.Module) -> nn.Module:
        """A copy of ``module`` that receives no gradients."""
        twin = copy.deepcopy(module)
        deactivate_requires_grad(twin)
        return twin

    def momentum_pairs(self, backbone: nn.Module) -> list[tuple[nn.Module, nn.Module]]:
        """``(online, momentum)`` pairs updated by :meth:`momentum_update`."""
        return [(backbone, self.backbone_momentum)]

    @torch.no_grad()
    def momentum_update(self, backbone: nn.Module, momentum: float) -> None:
        for online, ema in self.momentum_pairs(backbone):
            update_momentum(online, ema, m=momentum)
