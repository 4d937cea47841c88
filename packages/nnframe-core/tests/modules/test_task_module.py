"""TaskModule batches its training-metric updates and sums the epoch loss itself: the values a run
logs are those of updating and logging at every step."""

from __future__ import annotations

from pathlib import Path

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
