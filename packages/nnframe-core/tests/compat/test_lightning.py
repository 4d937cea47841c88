"""Loud tests of nnframe.core.compat.lightning: each fails when the private behaviour changes."""

from __future__ import annotations

from pathlib import Path

import lightning as L
import torch
from lightning.pytorch.callbacks import WeightAveraging
from lightning.pytorch.trainer.connectors.signal_connector import _SignalConnector

from nnframe.core.compat.lightning import (
    attached_trainer,
    ddp_kwargs,
    set_weight_averaging_device,
    signal_connector,
    weight_averaging_device,
)
from nnframe.core.testing import ToyClassifier


def test_signal_connector_is_the_trainers_own_and_receives_its_signals(tmp_path: Path) -> None:
    trainer = L.Trainer(logger=False, default_root_dir=tmp_path)
    connector = signal_connector(trainer)
    assert isinstance(connector, _SignalConnector)
    assert connector.trainer is trainer  # the connector Lightning registers its handlers through


def test_weight_averaging_keeps_its_average_on_the_device_set_after_construction(tmp_path: Path) -> None:
    """``WeightAveraging.setup`` reads ``_device`` to place the AveragedModel: ``meta`` proves it
    is read there (the module itself is on the CPU)."""
    callback = WeightAveraging()
    assert weight_averaging_device(callback) is None
    set_weight_averaging_device(callback, torch.device("meta"))
    assert weight_averaging_device(callback) == torch.device("meta")
    module = ToyClassifier()
    trainer = L.Trainer(logger=False, default_root_dir=tmp_path, accelerator="cpu")
    callback.setup(trainer, module, "fit")
    averaged = callback._average_model  # the copy setup made
    assert averaged is not None and next(averaged.parameters()).device == torch.device("meta")
    assert next(module.parameters()).device == torch.device("cpu")


def test_attached_trainer_is_none_until_a_trainer_uses_the_module(tmp_path: Path) -> None:
    module = ToyClassifier()
    assert attached_trainer(module) is None
    trainer = L.Trainer(logger=False, default_root_dir=tmp_path)
    module.trainer = trainer  # what Lightning does when it attaches a module
    assert attached_trainer(module) is trainer


def test_ddp_kwargs_are_the_strategys_ddp_arguments() -> None:
    from lightning.pytorch.strategies import DDPStrategy

    assert ddp_kwargs(DDPStrategy(find_unused_parameters=True))["find_unused_parameters"] is True
    assert "find_unused_parameters" not in ddp_kwargs(DDPStrategy())


def test_the_rich_progress_bar_reads_the_logged_metrics_in_update_metrics() -> None:
    import inspect

    from lightning.pytorch.callbacks import RichProgressBar

    method = RichProgressBar._update_metrics
    assert list(inspect.signature(method).parameters) == ["self", "trainer", "pl_module"]
    assert "get_metrics(trainer, pl_module)" in inspect.getsource(method)  # it reads what was logged
