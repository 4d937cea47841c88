"""Small datasets get enough optimizer steps for BatchNorm to settle, or a word why not."""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf
from torch import nn

from nnframe.core.training.optimizer_steps import (
    batch_size_from_data,
    chance_report,
    optimizer_steps,
    too_few_steps_message,
)


class _Data:
    def __init__(self, samples: int, batch_size: int | str = "auto") -> None:
        self.datasets = {"train": list(range(samples))}
        self.batch_size = batch_size


def _cfg(epochs: int = 10, **trainer) -> OmegaConf:
    return OmegaConf.create({"trainer": {"max_epochs": epochs, **trainer}, "data": {}})


@pytest.mark.parametrize(("samples", "epochs", "expected"), [
    (140, 10, 16),     # the LFW case: batch 64 gives 30 steps, 16 gives 90
    (140, 6, 8),
    (50_000, 10, 64),  # large data keeps the usual batch
    (20, 1, 8),        # nothing reaches 60 steps: the smallest batch
])
def test_batch_size_auto_follows_the_number_of_optimizer_steps(samples, epochs, expected) -> None:
    size, why = batch_size_from_data(_cfg(epochs), _Data(samples))
    assert size == expected and f"{samples} training images" in why


def test_steps_count_accumulation_processes_and_max_steps() -> None:
    assert optimizer_steps(_cfg(10), 140, 64) == 30
    assert optimizer_steps(_cfg(10, accumulate_grad_batches=3), 140, 64) == 10
    assert optimizer_steps(_cfg(10, max_steps=12), 140, 16) == 12
    assert optimizer_steps(_cfg(-1), 140, 16) is None
    assert optimizer_steps(_cfg(10, devices=2, num_nodes=2), 140, 16) == 30  # each process loads 16


def test_a_run_with_too_few_steps_is_told_what_to_set() -> None:
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
    message = too_few_steps_message(_cfg(6), _Data(140, 64), model)
    assert "only 18 optimizer steps" in message and "set trainer.max_epochs=20 or data.batch_size=8" in message
    assert too_few_steps_message(_cfg(6), _Data(140, 8), model) is None
    assert too_few_steps_message(_cfg(6), _Data(140, 64), nn.Conv2d(3, 4, 3)) is None  # no BatchNorm


def test_validation_at_chance_beside_high_training_accuracy_is_explained() -> None:
    lines = chance_report({"val/acc": 0.5, "train/acc": 0.99}, 2, steps=18, task="cls")
    assert "val/acc 0.500 is at chance for 2 classes" in lines[0] and "only 18 optimizer steps" in lines[1]
    lines = chance_report({"val/acc": 0.5, "train/acc": 0.99}, 2, steps=200, task="cls")
    assert "`nnframe cls inspect`" in lines[1]
    assert chance_report({"val/acc": 0.9, "train/acc": 0.99}, 2) == []
    assert chance_report({"val/acc": 0.5, "train/acc": 0.55}, 2) == []  # nothing learnt at all: another story
