"""VICReg. Bardes et al., "VICReg: Variance-Invariance-Covariance Regularization", 2022."""

from __future__ import annotations

import torch
from lightly.loss import VICRegLoss
from lightly.models.modules.heads import VICRegProjectionHead
from torch import nn

from nnframe.ssl.methods._base import SSLMethod


class VICReg(SSLMethod):
    """Invariance between two views plus variance and covariance terms against collapse.

    Args:
        backbone: the encoder.
        hidden_dim: hidden width of the expander (paper: 8192).
        output_dim: expander output size (paper: 8192).
        num_layers: expander layers (paper: 3).
        lambda_param: invariance weight (paper: 25).
        mu_param: variance weight (paper: 25).
        nu_param: covariance weight (paper: 1).
    """

    def __init__(self, backbone: nn.Module, hidden_dim: int = 8192, output_dim: int = 8192, num_layers: int = 3,
                 lambda_param: float = 25.0, mu_param: float = 25.0, nu_param: float = 1.0) -> None:
        super().__init__(backbone)
        self.projection_head = VICRegProjectionHead(self.input_dim, hidden_dim, output_dim, num_layers)
        self.criterion = VICRegLoss(lambda_param=lambda_param, mu_param=mu_param, nu_param=nu_param)

    def loss(self, backbone: nn.Module, views: list[torch.Tensor], epoch: int) -> torch.Tensor:
        z0, z1 = (self.projection_head(backbone(view)) for view in views[:2])
        return self.criterion(z0, z1)
