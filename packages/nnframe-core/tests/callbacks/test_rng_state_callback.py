"""RNGStateCallback says where a resumed run goes on, and says it when the data cannot follow."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import lightning as L
import pytest
import torch
from lightning.pytorch.callbacks import Callback
from torch.utils.data import DataLoader, TensorDataset

from nnframe.core.callbacks import RNGStateCallback
from nnframe.core.data import ResumableDataLoader
from nnframe.core.data.loading.epoch_sampler import EpochSeededRandomSampler


class _Model(L.LightningModule):
    def __init__(self, resumable: bool) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(1, 1)
        self.resumable = resumable
        self.seen: list[int] = []

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        self.seen.append(int(batch[0][0, 0]))
        return self.layer(batch[0]).mean()

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        self.log("val/loss", self.layer(batch[0]).mean())

    def val_dataloader(self) -> DataLoader:
        return DataLoader(TensorDataset(torch.arange(16.0).unsqueeze(1)), batch_size=8)

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=0.01)

    def train_dataloader(self) -> DataLoader:
        dataset = TensorDataset(torch.arange(64.0).unsqueeze(1))
        loader = ResumableDataLoader if self.resumable else DataLoader
        return loader(dataset, batch_size=8, sampler=EpochSeededRandomSampler(dataset, seed=0))


class _SaveAt(Callback):
    def __init__(self, path: Path, step: int) -> None:
        self.path, self.step = path, step

    def on_train_batch_end(self, trainer: L.Trainer, *args: Any) -> None:
        if trainer.global_step == self.step:
            trainer.save_checkpoint(self.path)


def _fit(tmp_path: Path, model: _Model, *callbacks: Callback, ckpt_path: Path | None = None) -> None:
    trainer = L.Trainer(max_epochs=2, accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False, num_sanity_val_steps=0,
                        callbacks=[RNGStateCallback(), *callbacks], default_root_dir=tmp_path)
    trainer.fit(model, ckpt_path=ckpt_path)


@pytest.mark.parametrize("resumable", [True, False])
def test_a_resumed_run_says_where_it_goes_on(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                             resumable: bool) -> None:
    path = tmp_path / "step11.ckpt"
    uninterrupted = _Model(resumable)
    _fit(tmp_path, uninterrupted, _SaveAt(path, 11))  # epoch 1 (8 batches each), after its batch 2
    resumed = _Model(resumable)
    with caplog.at_level(logging.INFO):
        _fit(tmp_path, resumed, ckpt_path=path)
    if resumable:
        assert "resumed at epoch 1, batch 3 of 8" in caplog.messages
        assert resumed.seen == uninterrupted.seen[11:]
    else:
        assert ("resumed at epoch 1, batch 3 of 8; the training loader has no load_state_dict, so this "
                "epoch's data starts again from its first batch") in caplog.text
        assert resumed.seen == uninterrupted.seen[8:13]  # what Lightning does with such a loader


class _SaveAtValidationEnd(Callback):
    """Saves where nnframe's checkpoint callback saves at the end of an epoch."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.current_epoch == 0 and not trainer.sanity_checking:
            trainer.save_checkpoint(self.path)


@pytest.mark.parametrize("saved", ["after the last batch", "after the validation"])
def test_a_run_resumed_between_epochs_says_so(tmp_path: Path, caplog: pytest.LogCaptureFixture, saved: str) -> None:
    path = tmp_path / "epoch0.ckpt"
    saver = _SaveAt(path, 8) if saved == "after the last batch" else _SaveAtValidationEnd(path)
    uninterrupted = _Model(True)
    _fit(tmp_path, uninterrupted, saver)  # epoch 0 has 8 batches
    resumed = _Model(True)
    with caplog.at_level(logging.INFO):
        _fit(tmp_path, resumed, ckpt_path=path)
    assert resumed.seen == uninterrupted.seen[8:]
    assert "resumed at the start of epoch 1" in caplog.messages
