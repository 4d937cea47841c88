"""BYOL. Grill et al., "Bootstrap Your Own Latent", 2020."""

from __future__ import annotations

import torch
from lightly.loss import NegativeCosineSimilarity
from lightly.models.modules import BYOLPredictionHead, BYOLProjectionHead
from torch import nn

from nnframe.ssl.methods._base import MomentumSSLMethod


class BYOL(MomentumSSLMethod):
    """An online network with a predictor regresses a momentum target network, symmetrised.

    Args:
        backbone: the encoder (copied as the target encoder).
        hidden_dim: hidden width of projector and predictor (paper: 4096).
        output_dim: projection size (paper: 256).
        momentum_start, momentum_end: target momentum, cosine from 0.996 to 1 (paper).
    """

    def __init__(self, backbone: nn.Module, hidden_dim: int = 4096, output_dim: int = 256,
                 momentum_start: float = 0.996, momentum_end: float = 1.0) -> None:
        super().__init__(backbone, momentum_start, momentum_end)
        self.projection_head = BYOLProjectionHead(self.input_dim, hidden_dim, output_dim)
        self.prediction_head = BYOLPredictionHead(output_dim, hidden_dim, output_dim)
        self.projection_head_momentum = self.frozen_copy(self.projection_head)
        self.criterion = NegativeCosineSimilarity()

    def momentum_pairs(self, backbone: nn.Module) -> list[tuple[nn.Module, nn.Module]]:
        return [*super().momentum_pairs(backbone), (self.projection_head, self.projection_head_momentum)]

    def loss(self, backbone: nn.Module, views: list[torch.Tensor], epoch: int) -> torch.Tensor:
        x0, x1 = views[:2]
        p0 = self.prediction_head(self.projection_head(backbone(x0)))
        p1 = self.prediction_head(self.projection_head(backbone(x1)))
        with torch.no_grad():
            z0 = self.projection_head_momentum(self.backbone_momentum(x0))
            z1 = self.projection_head_momentum(self.backbone_momentum(x1))
        return 0.5 * (self.criterion(p0, z1) + self.criterion(p1, z0))
