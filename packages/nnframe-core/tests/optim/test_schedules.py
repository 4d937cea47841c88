"""warmup_cosine: groups with a fixed learning rate, and the weight-decay schedule."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from nnframe.core.optim import warmup_cosine


def _optimizer() -> torch.optim.Optimizer:
    backbone, predictor, norm = nn.Linear(4, 4), nn.Linear(4, 4), nn.LayerNorm(4)
    return torch.optim.SGD([
        {"params": backbone.parameters(), "name": "params"},
        {"params": predictor.parameters(), "name": "predictor", "fixed_lr": True},
        {"params": norm.parameters(), "name": "params_no_decay", "weight_decay": 0.0},
    ], lr=0.05, momentum=0.9, weight_decay=0.04)


def _run(scheduler: torch.optim.lr_scheduler.LRScheduler, steps: int) -> None:
    for _ in range(steps):
        scheduler.optimizer.step()
        scheduler.step()


def test_fixed_lr_groups_keep_the_base_lr_while_the_others_decay() -> None:
    optimizer = _optimizer()
    scheduler = warmup_cosine(optimizer, total_steps=10, warmup_fraction=0.2)
    lrs = {g["name"]: g["lr"] for g in optimizer.param_groups}
    assert lrs["params"] == pytest.approx(0.05 / 2) and lrs["predictor"] == 0.05  # warm-up step 1 of 2
    _run(scheduler, 6)
    lrs = {g["name"]: g["lr"] for g in optimizer.param_groups}
    expected = 0.05 * 0.5 * (1 + math.cos(math.pi * 4 / 8))
    assert lrs["params"] == pytest.approx(expected) and lrs["params_no_decay"] == pytest.approx(expected)
    assert lrs["predictor"] == 0.05


def test_weight_decay_follows_a_cosine_to_its_end_value_on_decayed_groups_only() -> None:
    optimizer = _optimizer()
    scheduler = warmup_cosine(optimizer, total_steps=10, warmup_fraction=0.0, weight_decay_end=0.4)
    decays = lambda: {g["name"]: g["weight_decay"] for g in optimizer.param_groups}  # noqa: E731
    assert decays() == {"params": pytest.approx(0.04), "predictor": pytest.approx(0.04), "params_no_decay": 0.0}
    _run(scheduler, 5)
    assert decays()["params"] == pytest.approx(0.22) and decays()["params_no_decay"] == 0.0
    _run(scheduler, 5)
    assert decays()["params"] == pytest.approx(0.4) and decays()["predictor"] == pytest.approx(0.4)

    # Resuming as Lightning does (build both, then load their states): the schedule goes on.
    state, optimizer_state = scheduler.state_dict(), optimizer.state_dict()
    resumed_optimizer = _optimizer()
    resumed = warmup_cosine(resumed_optimizer, total_steps=10, warmup_fraction=0.0, weight_decay_end=0.4)
    resumed_optimizer.load_state_dict(optimizer_state)
    resumed.load_state_dict(state)
    assert resumed_optimizer.param_groups[0]["weight_decay"] == pytest.approx(0.4)
    assert resumed_optimizer.param_groups[0]["initial_weight_decay"] == pytest.approx(0.04)
    _run(resumed, 1)
    assert resumed_optimizer.param_groups[0]["weight_decay"] == pytest.approx(0.4)


def test_without_weight_decay_end_the_weight_decay_is_left_alone() -> None:
    optimizer = _optimizer()
    _run(warmup_cosine(optimizer, total_steps=10), 10)
    assert [g["weight_decay"] for g in optimizer.param_groups] == [0.04, 0.04, 0.0]
