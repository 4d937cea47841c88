"""DINO. Caron et al., "Emerging Properties in Self-Supervised Vision Transformers", 2021."""

from __future__ import annotations

import torch
from lightly.loss import DINOLoss
from lightly.models.modules import DINOProjectionHead
from torch import nn

from nnframe.ssl.methods._base import MomentumSSLMethod


class DINO(MomentumSSLMethod):
    """Self-distillation: a student matches a centred, sharpened momentum teacher across
    multi-crop views (the teacher sees the global views only).

    Args:
        backbone: the encoder (copied as the teacher).
        hidden_dim: hidden width of the head (paper: 2048).
        bottleneck_dim: bottleneck before the weight-normalised last layer (paper: 256).
        output_dim: prototypes K (paper: 65536).
        batch_norm: batch norm in the head (off for ViTs, as in the paper; on suits ResNets).
        freeze_last_layer: epochs during which the last layer is not trained (paper: 1).
        num_global_views: leading views the teacher sees (paper: 2).
        warmup_teacher_temp, teacher_temp, warmup_teacher_temp_epochs: teacher temperature,
            warmed linearly (paper: 0.04 to 0.07 over 30 epochs).
        student_temp: student temperature (paper: 0.1).
        center_momentum: momentum of the teacher centre (paper: 0.9).
        momentum_start, momentum_end: teacher momentum, cosine from 0.996 to 1 (paper).
    """

    def __init__(self, backbone: nn.Module, hidden_dim: int = 2048, bottleneck_dim: int = 256,
                 output_dim: int = 65536, batch_norm: bool = False, freeze_last_layer: int = 1,
                 num_global_views: int = 2, warmup_teacher_temp: float = 0.04, teacher_temp: float = 0.07,
                 warmup_teacher_temp_epochs: int = 30, student_temp: float = 0.1, center_momentum: float = 0.9,
                 momentum_start: float = 0.996, momentum_end: float = 1.0) -> None:
        super().__init__(backbone, momentum_start, momentum_end)
        self.num_global_views = num_global_views
        self.student_head = DINOProjectionHead(self.input_dim, hidden_dim, bottleneck_dim, output_dim,
                                               batch_norm=batch_norm, freeze_last_layer=freeze_last_layer)
        self.teacher_head = DINOProjectionHead(self.input_dim, hidden_dim, bottleneck_dim, output_dim,
                                               batch_norm=batch_norm)
        self.teacher_head.load_state_dict(self.student_head.state_dict())
        for parameter in self.teacher_head.parameters():
            parameter.requires_grad = False
        self.criterion = DINOLoss(output_dim=output_dim, warmup_teacher_temp=warmup_teacher_temp,
                                  teacher_temp=teacher_temp, warmup_teacher_temp_epochs=warmup_teacher_temp_epochs,
                                  student_temp=student_temp, center_momentum=center_momentum)

    def momentum_pairs(self, backbone: nn.Module) -> list[tuple[nn.Module, nn.Module]]:
        return [*super().momentum_pairs(backbone), (self.student_head, self.teacher_head)]

    def loss(self, backbone: nn.Module, views: list[torch.Tensor], epoch: int) -> torch.Tensor:
        with torch.no_grad():
            teacher_out = [self.teacher_head(self.backbone_momentum(v)) for v in views[: self.num_global_views]]
        student_out = [self.student_head(backbone(v)) for v in views]
        return self.criterion(teacher_out, student_out, epoch=epoch)

    def on_after_backward(self, epoch: int) -> None:
        self.student_head.cancel_last_layer_gradients(current_epoch=epoch)
