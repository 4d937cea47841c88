"""SimCLR. Chen et al., "A Simple Framework for Contrastive Learning of Visual Representations", 2020."""

from __future__ import annotations

import torch
from lightly.loss import NTXentLoss
from lightly.models.modules import SimCLRProjectionHead
from torch import nn

from nnframe.ssl.methods._base import SSLMethod


class SimCLR(SSLMethod):
    """Two views, an MLP projection head and the NT-Xent contrastive loss.

    Args:
        backbone: the encoder.
        hidden_dim: hidden width of the projection head (paper: 2048).
        output_dim: projection size (paper: 128).
        temperature: NT-Xent temperature (paper: 0.1 at batch 4096, 0.5 for CIFAR-10).
    """

    def __init__(self, backbone: nn.Module, hidden_dim: int = 2048, output_dim: int = 128,
                 temperature: float = 0.1) -> None:
        super().__init__(backbone)
        self.projection_head = SimCLRProjectionHead(self.input_dim, hidden_dim, output_dim)
        self.criterion = NTXentLoss(temperature=temperature)

    def loss(self, backbone: nn.Module, views: list[torch.Tensor], epoch: int) -> torch.Tensor:
        z0, z1 = (self.projection_head(backbone(view)) for view in views[:2])
        return self.criterion(z0, z1)
