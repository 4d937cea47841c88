"""Layer-wise learning-rate decay over timm's layer numbering, and the poly schedule."""

from __future__ import annotations

import pytest
import timm
import torch

from nnframe.core.errors import ConfigError
from nnframe.core.optim import layer_decay_options, layer_ids, parameter_groups, poly_value, warmup_poly


def test_layers_follow_timms_grouping_and_scale_geometrically() -> None:
    model = timm.create_model("test_resnet", num_classes=3)
    ids = layer_ids(model)
    top = max(ids.values())
    assert ids["conv1.0.weight"] == 0 and ids["fc.weight"] == top  # stem first, classifier last
    options = layer_decay_options(model, 0.5)
    for name, layer in ids.items():
        assert options[name]["lr_scale"] == pytest.approx(0.5 ** (top - layer))
        assert options[name]["name"] == f"layer_{layer:02d}"
    groups = parameter_groups(model, parameter_options=options)
    assert len(groups) == top + 1 and {g["name"] for g in groups} == {f"layer_{i:02d}" for i in range(top + 1)}
    by_name = {id(p): g for g in groups for p in g["params"]}
    assert by_name[id(model.fc.weight)]["lr_scale"] == 1.0


def test_no_weight_decay_split_keeps_the_layer_scale() -> None:
    model = timm.create_model("test_resnet", num_classes=3)
    groups = parameter_groups(model, True, layer_decay_options(model, 0.8))
    stem_no_decay = next(g for g in groups if g["name"] == "layer_00_no_decay")
    assert stem_no_decay["weight_decay"] == 0.0 and stem_no_decay["lr_scale"] == pytest.approx(0.8 ** max(
        layer_ids(model).values()))


def test_a_network_without_layer_numbering_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="model.layer_decay"):
        layer_decay_options(torch.nn.Linear(2, 2), 0.75)
    with pytest.raises(ConfigError, match=r"\(0, 1\]"):
        layer_decay_options(timm.create_model("test_resnet"), 1.5)


def test_poly_schedule_decays_as_mmsegmentation() -> None:
    optimizer = torch.optim.SGD(torch.nn.Linear(2, 2).parameters(), lr=0.01)
    scheduler = warmup_poly(optimizer, total_steps=100, power=0.9, min_lr_ratio=0.01)
    rates = []
    for _ in range(100):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    # mmsegmentation's PolyLR: (base - eta_min) * (1 - t / T) ** power + eta_min
    for step in (0, 10, 50, 99):
        assert rates[step] == pytest.approx((0.01 - 1e-4) * (1 - step / 100) ** 0.9 + 1e-4)
    assert poly_value(2.0, 1.0, 0.0, 0.9) == 0.0


def test_poly_warmup_is_linear() -> None:
    optimizer = torch.optim.SGD(torch.nn.Linear(2, 2).parameters(), lr=1.0)
    scheduler = warmup_poly(optimizer, total_steps=100, warmup_steps=10)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.1)
    for _ in range(9):
        optimizer.step()
        scheduler.step()
    assert optimizer.param_groups[0]["lr"] == pytest.approx(1.0)
