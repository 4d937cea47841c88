"""A toy datamodule and model, so a callback's test can run a tiny real Trainer."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import torch
from torch import nn
from torchmetrics import MetricCollection
from torchmetrics.classification import MulticlassAccuracy

from nnframe.core.cv_tools.transforms import classification_eval_transform
from nnframe.core.data.synthetic.shapes_datamodule import ShapesDataModule
from nnframe.core.modules.task_module import TaskModule


class ToyDataModule(ShapesDataModule):
    """A few hundred 16x16 shape images, no augmentation."""

    def __init__(self, num_train: int = 128, num_val: int = 64, num_test: int = 64, batch_size: int = 32,
                 **kwargs: Any) -> None:
        transform = classification_eval_transform(16, "shapes")
        super().__init__(num_train=num_train, num_val=num_val, num_test=num_test, batch_size=batch_size,
                         image_size=16, train_transform=transform, eval_transform=transform, **kwargs)


class ToyClassifier(TaskModule):
    """A linear classifier on flattened 16x16 RGB images (``**kwargs``: :class:`TaskModule`'s
    switches, e.g. ``ema_decay``)."""

    def __init__(self, num_classes: int = 5, optimizer: Callable[..., torch.optim.Optimizer] | None = None,
                 **kwargs: Any) -> None:
        self.num_classes = num_classes
        net = nn.Sequential(nn.Flatten(), nn.Linear(3 * 16 * 16, num_classes))
        super().__init__(net=net, optimizer=optimizer or partial(torch.optim.SGD, lr=0.1), **kwargs)

    def build_metrics(self) -> MetricCollection:
        return MetricCollection({"acc": MulticlassAccuracy(self.num_classes, average="micro")})

    def compute_loss(self, outputs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return nn.functional.cross_entropy(outputs, target)
