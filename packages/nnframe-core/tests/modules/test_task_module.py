"""TaskModule batches its training-metric updates and sums the epoch loss itself: the values a run
logs are those of updating and logging at every step."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import lightning as L
import pytest
import torch

from nnframe.core.testing import RankLossRecorder, ToyClassifier, ToyDataModule


def _fit(tmp_path: Path, every: int) -> tuple[dict[str, float], list[list[float]]]:
    L.seed_everything(0, verbose=False)
    datamodule = ToyDataModule(num_train=150, batch_size=32)  # 5 steps per epoch, the last one of 22 images
    model = ToyClassifier(train_metrics_every_n_steps=every)
    recorder = RankLossRecorder(str(tmp_path / f"every{every}"))
    trainer = L.Trainer(max_epochs=2, accelerator="cpu", logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False, num_sanity_val_steps=0,
                        callbacks=[recorder])
    trainer.fit(model, datamodule=datamodule)
    return {k: float(v) for k, v in trainer.callback_metrics.items()}, recorder.epochs


def test_batched_train_metrics_and_epoch_loss_equal_per_step_ones(tmp_path: Path) -> None:
    per_step, epochs = _fit(tmp_path, every=1)
    for every in (3, 16):  # flushed mid-epoch and at the epoch's end / only at the end
        batched, _ = _fit(tmp_path, every=every)
        assert batched["train/acc"] == per_step["train/acc"], every
        assert batched["train/loss_epoch"] == pytest.approx(per_step["train/loss_epoch"], rel=1e-6)
    # The epoch loss is the sample-weighted mean of the last epoch's step losses.
    loss_sum, count = epochs[-1]
    assert count == 150
    assert per_step["train/loss_epoch"] == pytest.approx(loss_sum / count, rel=1e-5)
    assert 0 < per_step["train/acc"] <= 1


def test_steps_of_another_shape_are_given_to_the_metrics_separately() -> None:
    model = ToyClassifier(train_metrics_every_n_steps=8)
    first_out, first_target = torch.randn(2, 5, 4, 4), torch.randint(0, 5, (2, 4, 4))
    second_out, second_target = torch.randn(3, 5, 3, 3), torch.randint(0, 5, (3, 3, 3))
    model.update_train_metrics(first_out, first_target)
    model.update_train_metrics(second_out, second_target)  # would not concatenate with the first
    model._flush_train_metrics()
    correct = int((first_out.argmax(1) == first_target).sum() + (second_out.argmax(1) == second_target).sum())
    assert float(model.train_metrics.compute()["train/acc"]) == pytest.approx(correct / (32 + 27))


def test_rejects_a_zero_update_interval() -> None:
    with pytest.raises(ValueError, match="train_metrics_every_n_steps"):
        ToyClassifier(train_metrics_every_n_steps=0)


class _StepLossRecorder(L.Callback):
    """Each step's loss, and what the progress bar shows when it redraws."""

    def __init__(self, refresh_rate: int) -> None:
        self.refresh_rate = refresh_rate
        self.losses: list[float] = []
        self.shown: list[tuple[float, float]] = []

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        self.losses.append(float(outputs["loss"]))
        if (batch_idx + 1) % self.refresh_rate == 0 or trainer.fit_loop.epoch_loop.batch_progress.is_last_batch:
            self.shown.append((float(trainer.progress_bar_metrics["train/loss_step"]), self.losses[-1]))


def test_step_loss_reaches_loggers_and_progress_bar_as_if_logged_every_step(tmp_path: Path) -> None:
    from lightning.pytorch.loggers import CSVLogger

    from nnframe.core.callbacks import RichProgressBar

    L.seed_everything(0, verbose=False)
    recorder = _StepLossRecorder(refresh_rate=4)
    trainer = L.Trainer(max_epochs=2, accelerator="cpu", logger=CSVLogger(tmp_path), log_every_n_steps=3,
                        enable_checkpointing=False, enable_model_summary=False, num_sanity_val_steps=0,
                        callbacks=[RichProgressBar(refresh_rate=4), recorder])
    model = ToyClassifier()
    trainer.fit(model, datamodule=ToyDataModule(num_train=150, batch_size=16))  # 10 steps per epoch
    rows = list(csv.DictReader((Path(trainer.logger.log_dir) / "metrics.csv").open()))
    logged = {int(row["step"]): float(row["train/loss_step"]) for row in rows if row.get("train/loss_step")}
    assert sorted(logged) == [2, 5, 8, 11, 14, 17]  # every 3rd of the 20 steps, as Lightning writes them
    for step, value in logged.items():
        assert value == pytest.approx(recorder.losses[step], rel=1e-6), step
    assert len(recorder.shown) == 6  # steps 4, 8, 10 of each epoch
    for shown, loss in recorder.shown:
        assert shown == pytest.approx(loss, rel=1e-6)
    assert float(trainer.callback_metrics["train/loss_step"]) == pytest.approx(recorder.losses[-1], rel=1e-6)
