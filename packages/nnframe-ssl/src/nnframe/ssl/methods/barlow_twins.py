"""Barlow Twins. Zbontar et al., "Barlow Twins: Self-Supervised Learning via Redundancy Reduction", 2021."""

from __future__ import annotations

import torch
from lightly.loss import BarlowTwinsLoss
from lightly.models.modules import BarlowTwinsProjectionHead
from torch import nn

from nnframe.ssl.methods._base import SSLMethod


class BarlowTwins(SSLMethod):
    """Drives the cross-correlation of two views' projections towards the identity.

    Args:
        backbone: the encoder.
        hidden_dim: hidden width of the 3-layer projector (paper: 8192).
        output_dim: projection size (paper: 8192).
        lambda_param: weight of the redundancy-reduction term (paper: 5e-3).
    """

    def __init__(self, backbone: nn.Module, hidden_dim: int = 8192, output_dim: int = 8192,
                 lambda_param: float = 5e-3) -> None:
        super().__init__(backbone)
        self.projection_head = BarlowTwinsProjectionHead(self.input_dim, hidden_dim, output_dim)
        self.criterion = BarlowTwinsLoss(lambda_param=lambda_param)

    def loss(self, backbone: nn.Module, views: list[torch.Tensor], epoch: int) -> torch.Tensor:
        z0, z1 = (self.projection_head(backbone(view)) for view in views[:2])
        return self.criterion(z0, z1)
