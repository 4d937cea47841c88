"""BackboneFreezeCallback (model.freeze_backbone_epochs): the backbone's parameters and buffers do
not change in the frozen epochs while the head trains, then the whole network trains."""

from __future__ import annotations

from functools import partial
from types import SimpleNamespace
from typing import Any

import lightning as L
import pytest
import torch
from lightning.pytorch.strategies import DDPStrategy
from torch import nn

from nnframe.core.callbacks import BackboneFreezeCallback
from nnframe.core.errors import ConfigError
from nnframe.core.testing import ToyClassifier, ToyDataModule


class ConvToy(ToyClassifier):
    """A conv + BatchNorm backbone (with buffers) and a linear head."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(optimizer=partial(torch.optim.AdamW, lr=0.01, weight_decay=0.1), **kwargs)
        self.net = nn.Sequential(
            nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                          nn.Flatten()),
            nn.Linear(8, self.num_classes))

    def backbone_module(self) -> nn.Module:
        return self.net[0]


class Snapshots(L.Callback):
    def __init__(self) -> None:
        self.states: list[dict[str, torch.Tensor]] = []

    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.states.append({k: v.clone() for k, v in pl_module.state_dict().items()})

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.on_fit_start(trainer, pl_module)


def _changed(before: dict[str, torch.Tensor], after: dict[str, torch.Tensor], prefix: str) -> list[str]:
    return [k for k in before if k.startswith(prefix) and not torch.equal(before[k], after[k])]


def test_frozen_backbone_does_not_change_then_trains() -> None:
    torch.manual_seed(0)
    model, snapshots = ConvToy(freeze_backbone_epochs=2), Snapshots()
    trainer = L.Trainer(max_epochs=3, accelerator="cpu", logger=False, enable_progress_bar=False,
                        enable_model_summary=False, enable_checkpointing=False, callbacks=[snapshots])
    trainer.fit(model, datamodule=ToyDataModule())
    start, epoch0, epoch1, epoch2 = snapshots.states
    backbone = [k for k in start if k.startswith("net.0.")]
    assert any("running_mean" in k for k in backbone)  # BatchNorm statistics are part of "unchanged"
    for before, after in ((start, epoch0), (epoch0, epoch1)):
        assert _changed(before, after, "net.0.") == []  # weight decay and BN statistics included
        assert _changed(before, after, "net.1.")  # the head trains
    assert set(_changed(epoch1, epoch2, "net.0.")) == set(backbone)  # then everything trains, BN statistics too
    assert all(p.requires_grad for p in model.parameters())


def test_a_module_without_backbone_is_a_config_error() -> None:
    trainer = L.Trainer(max_epochs=1, accelerator="cpu", logger=False, enable_progress_bar=False,
                        enable_model_summary=False, enable_checkpointing=False)
    with pytest.raises(ConfigError, match="freeze_backbone_epochs=1.*no backbone"):
        trainer.fit(ToyClassifier(freeze_backbone_epochs=1), datamodule=ToyDataModule())


def test_ddp_without_unused_parameters_is_refused_with_the_strategy_to_use() -> None:
    callback = BackboneFreezeCallback(1)
    model = ConvToy()
    with pytest.raises(ConfigError, match="trainer.strategy=ddp_find_unused_parameters_true"):
        callback.setup(SimpleNamespace(strategy=DDPStrategy()), model, "fit")  # type: ignore[arg-type]
    callback.setup(SimpleNamespace(strategy=DDPStrategy(find_unused_parameters=True)), model, "fit")  # type: ignore[arg-type]


def test_negative_epochs_are_a_config_error() -> None:
    with pytest.raises(ConfigError, match="freeze_backbone_epochs"):
        BackboneFreezeCallback(-1)
