"""SimSiam. Chen & He, "Exploring Simple Siamese Representation Learning", 2021."""

from __future__ import annotations

import torch
from lightly.loss import NegativeCosineSimilarity
from lightly.models.modules import SimSiamPredictionHead, SimSiamProjectionHead
from torch import nn

from nnframe.core.optim import set_param_group_options
from nnframe.ssl.methods._base import SSLMethod


class SimSiam(SSLMethod):
    """Siamese network with a predictor and a stop-gradient, no negatives and no momentum.

    Args:
        backbone: the encoder.
        hidden_dim: hidden width of the projector (paper: 2048).
        output_dim: projection size (paper: 2048).
        prediction_dim: bottleneck of the predictor (paper: 512).
        fixed_predictor_lr: keep the predictor's learning rate at its base value while the
            schedule decays the others (paper, section 4.1: it works better).
    """

    def __init__(self, backbone: nn.Module, hidden_dim: int = 2048, output_dim: int = 2048,
                 prediction_dim: int = 512, fixed_predictor_lr: bool = True) -> None:
        super().__init__(backbone)
        self.projection_head = SimSiamProjectionHead(self.input_dim, hidden_dim, output_dim)
        self.prediction_head = SimSiamPredictionHead(output_dim, prediction_dim, output_dim)
        self.criterion = NegativeCosineSimilarity()
        if fixed_predictor_lr:
            set_param_group_options(self.prediction_head, name="predictor", fixed_lr=True)

    def loss(self, backbone: nn.Module, views: list[torch.Tensor], epoch: int) -> torch.Tensor:
        z0, z1 = (self.projection_head(backbone(view)) for view in views[:2])
        p0, p1 = self.prediction_head(z0), self.prediction_head(z1)
        return 0.5 * (self.criterion(p0, z1.detach()) + self.criterion(p1, z0.detach()))
