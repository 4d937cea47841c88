"""Loud tests of nnframe.core.compat.lightning: each fails when the private behaviour changes."""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType
from typing import Any

import lightning as L
import pytest
import torch
from lightning.fabric.plugins.environments import SLURMEnvironment
from lightning.pytorch.callbacks import Callback, ModelCheckpoint, WeightAveraging
from lightning.pytorch.demos.boring_classes import BoringModel
from lightning.pytorch.trainer.connectors.signal_connector import _SignalConnector
from lightning.pytorch.utilities.exceptions import SIGTERMException

from nnframe.core.compat.lightning import (
    SignalConnectorBase,
    attached_trainer,
    checkpoint_last_saved_step,
    checkpoint_saves_on_train_epoch_end,
    checkpoint_skips_saving,
    ddp_kwargs,
    jit_tracing,
    save_last_checkpoint,
    set_checkpoint_last_saved_step,
    set_per_batch_stop_check,
    set_signal_connector,
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


# --- signal connector, per-batch stop check -------------------------------------------------------


class _RecordingConnector(SignalConnectorBase):
    """Records the signals that reach its public hooks, then does what Lightning does."""

    def __init__(self, trainer: L.Trainer) -> None:
        super().__init__(trainer)
        self.sigterms: list[int] = []
        self.requeues: list[int] = []
        self.registered = 0

    def register_signal_handlers(self) -> None:
        self.registered += 1
        super().register_signal_handlers()

    def on_sigterm(self, signum: int, frame: FrameType | None) -> None:
        self.sigterms.append(signum)
        super().on_sigterm(signum, frame)

    def on_requeue_signal(self, signum: int, frame: FrameType | None) -> None:
        self.requeues.append(signum)  # Lightning's own would save a checkpoint and run scontrol


class _SigtermAtStep(Callback):
    def __init__(self, step: int) -> None:
        self.step = step

    def on_train_batch_end(self, trainer: L.Trainer, *args: Any) -> None:
        if trainer.global_step == self.step:
            signal.raise_signal(signal.SIGTERM)


def _boring_trainer(tmp_path: Path, **kwargs: Any) -> L.Trainer:
    options: dict[str, Any] = dict(logger=False, default_root_dir=tmp_path, accelerator="cpu", max_epochs=1,
                                   limit_train_batches=4, limit_val_batches=0, enable_progress_bar=False,
                                   enable_model_summary=False, enable_checkpointing=False)
    return L.Trainer(**(options | kwargs))


def test_a_fit_registers_sigterm_through_the_connector_set_on_the_trainer(tmp_path: Path) -> None:
    """The connector :func:`set_signal_connector` gives is the one the fit registers; SIGTERM reaches
    its ``on_sigterm``, and the base's ``on_sigterm`` (Lightning's notifier) stops the run after
    that batch."""
    trainer = _boring_trainer(tmp_path, callbacks=[_SigtermAtStep(2)])
    connector = _RecordingConnector(trainer)
    set_signal_connector(trainer, connector)
    assert signal_connector(trainer) is connector
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(SIGTERMException):
        trainer.fit(BoringModel())
    assert connector.registered == 1
    assert connector.sigterms == [signal.SIGTERM]
    assert trainer.received_sigterm and trainer.global_step == 2  # stopped after the signalled batch
    assert signal.getsignal(signal.SIGTERM) is before  # Lightning's teardown restored the handler


def test_slurms_requeue_signal_reaches_on_requeue_signal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"SLURM_NTASKS": "1", "SLURM_PROCID": "0", "SLURM_LOCALID": "0", "SLURM_NODEID": "0",
                        "SLURM_JOB_ID": "1", "SLURM_JOB_NAME": "compat"}.items():
        monkeypatch.setenv(name, value)
    environment = SLURMEnvironment(auto_requeue=True)
    trainer = _boring_trainer(tmp_path, plugins=[environment])
    connector = _RecordingConnector(trainer)
    set_signal_connector(trainer, connector)
    before = signal.getsignal(environment.requeue_signal)
    connector.register_signal_handlers()
    try:
        signal.raise_signal(environment.requeue_signal)
    finally:
        connector.teardown()
    assert connector.requeues == [environment.requeue_signal]
    assert signal.getsignal(environment.requeue_signal) == before


def test_the_per_batch_stop_check_runs_before_every_training_batch_of_a_distributed_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Lightning calls it (in place of its broadcast of rank 0's flag) before each training batch
    when several processes run; its ``SIGTERMException`` stops the run before the batch."""
    # One process stands for several: a real process group (of one), and the trainer's world size,
    # which the loop checks, said to be 2.
    store = torch.distributed.HashStore()
    torch.distributed.init_process_group("gloo", store=store, rank=0, world_size=1)
    monkeypatch.setattr(L.Trainer, "world_size", property(lambda self: 2))
    trainer = _boring_trainer(tmp_path)
    calls: list[int] = []

    def check() -> None:
        calls.append(trainer.global_step)
        if trainer.global_step == 3:
            raise SIGTERMException()

    set_per_batch_stop_check(trainer, check)
    try:
        with pytest.raises(SIGTERMException):
            trainer.fit(BoringModel())
    finally:
        torch.distributed.destroy_process_group()
    assert calls == [0, 1, 2, 3]
    assert trainer.global_step == 3  # the fourth batch never ran


# --- ModelCheckpoint -------------------------------------------------------------------------------


class _Probe(Callback):
    """Reads (and optionally acts on) a ModelCheckpoint's state at the end of the training epoch and
    at step ``save_last_at``; runs before the checkpoint callback (Lightning puts those last)."""

    def __init__(self, checkpoint: ModelCheckpoint, mark_saved: bool = False, save_last_at: int | None = None) -> None:
        self.checkpoint = checkpoint
        self.mark_saved = mark_saved
        self.save_last_at = save_last_at
        self.seen: dict[str, Any] = {}

    def on_train_batch_end(self, trainer: L.Trainer, *args: Any) -> None:
        if trainer.global_step == self.save_last_at:
            save_last_checkpoint(self.checkpoint, trainer)
            path = Path(self.checkpoint.last_model_path)
            self.seen["last"] = (path.name, torch.load(path, weights_only=True)["global_step"],
                                 checkpoint_last_saved_step(self.checkpoint))

    def on_train_epoch_end(self, trainer: L.Trainer, *args: Any) -> None:
        self.seen["skips"] = checkpoint_skips_saving(self.checkpoint, trainer)
        self.seen["on_train_epoch_end"] = checkpoint_saves_on_train_epoch_end(self.checkpoint, trainer)
        if self.mark_saved:
            set_checkpoint_last_saved_step(self.checkpoint, trainer.global_step)
            self.seen["skips_after_mark"] = checkpoint_skips_saving(self.checkpoint, trainer)


def test_the_last_saved_step_is_the_step_of_the_last_save(tmp_path: Path) -> None:
    checkpoint = ModelCheckpoint(dirpath=tmp_path / "ckpt")
    probe = _Probe(checkpoint)
    trainer = _boring_trainer(tmp_path, callbacks=[probe, checkpoint], enable_checkpointing=True)
    assert checkpoint_last_saved_step(checkpoint) == 0
    trainer.fit(BoringModel())
    assert probe.seen == {"skips": False, "on_train_epoch_end": True}  # no validation: saved at epoch end
    assert [p.name for p in (tmp_path / "ckpt").iterdir()] == ["epoch=0-step=4.ckpt"]
    assert checkpoint_last_saved_step(checkpoint) == 4


def test_a_step_marked_as_saved_is_not_saved_again(tmp_path: Path) -> None:
    checkpoint = ModelCheckpoint(dirpath=tmp_path / "ckpt")
    probe = _Probe(checkpoint, mark_saved=True)
    trainer = _boring_trainer(tmp_path, callbacks=[probe, checkpoint], enable_checkpointing=True)
    trainer.fit(BoringModel())
    assert probe.seen["skips"] is False and probe.seen["skips_after_mark"] is True
    assert not (tmp_path / "ckpt").exists() or not list((tmp_path / "ckpt").iterdir())


@pytest.mark.parametrize(("val_check_interval", "at_epoch_end"), [(1.0, True), (2, False)])
def test_with_validation_within_the_epoch_the_checkpoint_saves_at_validation_end(
        tmp_path: Path, val_check_interval: float, at_epoch_end: bool) -> None:
    checkpoint = ModelCheckpoint(dirpath=tmp_path / "ckpt")
    probe = _Probe(checkpoint)
    trainer = _boring_trainer(tmp_path, callbacks=[probe, checkpoint], enable_checkpointing=True,
                              limit_val_batches=2, num_sanity_val_steps=0, val_check_interval=val_check_interval)
    trainer.fit(BoringModel())
    assert probe.seen["on_train_epoch_end"] is at_epoch_end


def test_save_last_checkpoint_writes_last_ckpt_of_the_current_step(tmp_path: Path) -> None:
    checkpoint = ModelCheckpoint(dirpath=tmp_path / "ckpt", save_last=True, save_top_k=0)
    probe = _Probe(checkpoint, save_last_at=2)
    trainer = _boring_trainer(tmp_path, callbacks=[probe, checkpoint], enable_checkpointing=True)
    trainer.fit(BoringModel())
    assert probe.seen["last"] == ("last.ckpt", 2, 2)  # the file, the step in it, the step marked saved


# --- tracing ---------------------------------------------------------------------------------------


def test_jit_tracing_lets_a_detached_lightning_module_be_traced() -> None:
    module = BoringModel()
    with pytest.raises(RuntimeError, match="not attached to a `Trainer`"):
        _ = module.trainer
    example = torch.randn(2, 32)
    with jit_tracing(module):
        assert module.trainer is None  # what torch.jit.trace reads without failing
        traced = torch.jit.trace(module, example, strict=False)
    torch.testing.assert_close(traced(example), module(example))
    with pytest.raises(RuntimeError, match="not attached to a `Trainer`"):
        _ = module.trainer  # restored
    plain = torch.nn.Linear(2, 2)
    with jit_tracing(plain):
        pass
    assert not hasattr(plain, "_jit_is_scripting")
