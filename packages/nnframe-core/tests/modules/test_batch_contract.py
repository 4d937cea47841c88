"""TaskModule's batch contract: a model that returns its own losses trains with no step of its
own, and metric values that are neither scalars nor per-class are named, not logged."""

from __future__ import annotations

import csv
import logging
from pathlib import Path
from typing import Any

import lightning as L
import pytest
import torch
from lightning.pytorch.loggers import CSVLogger
from torch import nn
from torchmetrics import Metric, MetricCollection
from torchmetrics.classification import MulticlassAccuracy

from nnframe.core.modules import StepOutput, TaskModule
from nnframe.core.testing import ToyClassifier, ToyDataModule


class _LossReturningNet(nn.Module):
    """Like a torchvision detector: losses in training mode, predictions in evaluation mode."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Sequential(nn.Flatten(), nn.Linear(3 * 16 * 16, 5))

    def forward(self, images: torch.Tensor, target: torch.Tensor | None = None) -> Any:
        logits = self.linear(images)
        if self.training:
            assert target is not None
            return {"loss_classifier": nn.functional.cross_entropy(logits, target),
                    "loss_norm": 1e-3 * logits.pow(2).mean()}
        return logits


class _SelfLossModule(TaskModule):
    model_returns_losses = True  # no compute_loss, no model_step

    def __init__(self) -> None:
        super().__init__(net=_LossReturningNet(), optimizer=lambda params: torch.optim.SGD(params, lr=0.01))

    def build_metrics(self) -> MetricCollection:
        return MetricCollection({"acc": MulticlassAccuracy(5, average="micro")})


def _fit(model: L.LightningModule, tmp_path: Path) -> tuple[L.Trainer, list[dict[str, str]]]:
    L.seed_everything(0, verbose=False)
    trainer = L.Trainer(max_epochs=2, accelerator="cpu", logger=CSVLogger(tmp_path), log_every_n_steps=1,
                        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                        num_sanity_val_steps=0)
    trainer.fit(model, datamodule=ToyDataModule(num_train=96, batch_size=32))
    rows = list(csv.DictReader((Path(trainer.logger.log_dir) / "metrics.csv").open()))
    return trainer, rows


def test_a_model_that_returns_its_losses_trains_without_a_step_of_its_own(tmp_path: Path,
                                                                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    trainer, rows = _fit(_SelfLossModule(), tmp_path)
    metrics = trainer.callback_metrics
    for key in ("train/loss_step", "train/loss_epoch", "train/loss_classifier_epoch", "train/loss_norm_epoch",
                "val/acc"):
        assert key in metrics, key
    assert "val/loss" not in metrics
    # The loss is the sum of the named losses.
    step_rows = [row for row in rows if row.get("train/loss_step") and row.get("train/loss_classifier_step")]
    assert step_rows
    for row in step_rows:
        assert float(row["train/loss_step"]) == pytest.approx(
            float(row["train/loss_classifier_step"]) + float(row["train/loss_norm_step"]), rel=1e-5)
    epoch_losses = [float(row["train/loss_epoch"]) for row in rows if row.get("train/loss_epoch")]
    assert len(epoch_losses) == 2 and epoch_losses[1] < epoch_losses[0]  # it learns
    assert "val/loss: not applicable to this task (_SelfLossModule's model computes its losses in training " \
           "mode only)" in caplog.text
    (tested,) = trainer.test(trainer.lightning_module, datamodule=ToyDataModule(num_train=96, batch_size=32),
                             verbose=False)
    assert "test/acc" in tested and "test/loss" not in tested
    assert "test/loss: not applicable to this task" in caplog.text


class _Classes(Metric):
    """A detection-style value: the class ids seen, a tensor that is neither scalar nor per class."""

    def __init__(self) -> None:
        super().__init__()
        self.add_state("seen", default=torch.zeros(7), dist_reduce_fx="max")

    def update(self, preds: torch.Tensor, target: torch.Tensor) -> None:
        self.seen = torch.maximum(self.seen, torch.ones(7))

    def compute(self) -> torch.Tensor:
        return self.seen


class _ClassesClassifier(ToyClassifier):
    def build_metrics(self) -> MetricCollection:
        return MetricCollection({"acc": MulticlassAccuracy(self.num_classes, average="micro"),
                                 "per_class": MulticlassAccuracy(self.num_classes, average="none"),
                                 "classes": _Classes()})


def test_values_neither_scalar_nor_per_class_are_named_once_and_not_logged(tmp_path: Path,
                                                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    trainer, _ = _fit(_ClassesClassifier(), tmp_path)
    keys = set(trainer.callback_metrics)
    assert "val/acc" in keys
    assert {f"val/per_class/{name}" for name in ToyDataModule().class_names} <= keys
    assert not any(key.startswith("val/classes") or key.startswith("train/classes") for key in keys)
    assert caplog.text.count("val/classes: not logged (a tensor of shape (7,)") == 1


class _OwnStepModule(TaskModule):
    """Computes its loss in its own model_step, so it needs no compute_loss."""

    def __init__(self) -> None:
        super().__init__(net=nn.Sequential(nn.Flatten(), nn.Linear(3 * 16 * 16, 5)),
                         optimizer=lambda params: torch.optim.SGD(params, lr=0.01))

    def build_metrics(self) -> MetricCollection:
        return MetricCollection({"acc": MulticlassAccuracy(5, average="micro")})

    def model_step(self, batch: Any) -> StepOutput:
        images, target = self.batch_images(batch), self.batch_target(batch)
        outputs = self(images)
        return StepOutput(nn.functional.cross_entropy(outputs, target), outputs, target)


def test_a_module_with_its_own_model_step_needs_no_compute_loss(tmp_path: Path) -> None:
    trainer, _ = _fit(_OwnStepModule(), tmp_path)
    assert "val/loss" in trainer.callback_metrics and "train/acc" in trainer.callback_metrics
