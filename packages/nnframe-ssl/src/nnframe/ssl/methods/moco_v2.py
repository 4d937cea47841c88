"""MoCo v2. Chen et al., "Improved Baselines with Momentum Contrastive Learning", 2020."""

from __future__ import annotations

import torch
from lightly.loss import NTXentLoss
from lightly.models.modules import MoCoProjectionHead
from torch import nn

from nnframe.ssl.methods._base import MomentumSSLMethod


class MoCoV2(MomentumSSLMethod):
    """A query encoder, a momentum key encoder and a queue of negative keys.

    Args:
        backbone: the encoder (copied as the key encoder).
        hidden_dim: hidden width of the MLP head (paper: 2048).
        output_dim: embedding size (paper: 128).
        temperature: InfoNCE temperature (paper: 0.2).
        queue_size: negative keys kept (paper: 65536).
        momentum_start, momentum_end: key-encoder momentum (paper: constant 0.999).
    """

    def __init__(self, backbone: nn.Module, hidden_dim: int = 2048, output_dim: int = 128,
                 temperature: float = 0.2, queue_size: int = 65536, momentum_start: float = 0.999,
                 momentum_end: float = 0.999) -> None:
        super().__init__(backbone, momentum_start, momentum_end)
        self.projection_head = MoCoProjectionHead(self.input_dim, hidden_dim, output_dim)
        self.projection_head_momentum = self.frozen_copy(self.projection_head)
        self.criterion = NTXentLoss(temperature=temperature, memory_bank_size=(queue_size, output_dim))

    def momentum_pairs(self, backbone: nn.Module) -> list[tuple[nn.Module, nn.Module]]:
        return [*super().momentum_pairs(backbone), (self.projection_head, self.projection_head_momentum)]

    def loss(self, backbone: nn.Module, views: list[torch.Tensor], epoch: int) -> torch.Tensor:
        query = self.projection_head(backbone(views[0]))
        with torch.no_grad():
            key = self.projection_head_momentum(self.backbone_momentum(views[1]))
        return self.criterion(query, key)
