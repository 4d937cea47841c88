"""Optimizer parameter groups: no weight decay on biases and norms, per-module options."""

from __future__ import annotations

from functools import partial

import torch
from torch import nn
from torchmetrics import MetricCollection
from torchmetrics.classification import MulticlassAccuracy

from nnframe.core.modules import TaskModule
from nnframe.core.optim import parameter_groups, set_param_group_options


def _net() -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.LayerNorm(4), nn.Linear(4, 2))


class _Classifier(TaskModule):
    def __init__(self, **kwargs) -> None:
        super().__init__(net=_net(), optimizer=partial(torch.optim.AdamW, lr=0.1, weight_decay=0.05), **kwargs)

    def build_metrics(self) -> MetricCollection:
        return MetricCollection({"acc": MulticlassAccuracy(2, average="micro")})

    def compute_loss(self, outputs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return nn.functional.cross_entropy(outputs, target)


def _ids(params) -> set[int]:
    return {id(p) for p in params}


def test_norm_and_bias_parameters_go_to_a_group_without_weight_decay() -> None:
    net = _net()
    groups = parameter_groups(net, exclude_norm_and_bias_from_weight_decay=True)
    assert [g["name"] for g in groups] == ["params", "params_no_decay"]
    decay, no_decay = groups
    assert "weight_decay" not in decay and no_decay["weight_decay"] == 0.0
    assert _ids(decay["params"]) == _ids([net[0].weight, net[6].weight])
    assert _ids(no_decay["params"]) == _ids([net[0].bias, net[1].weight, net[1].bias, net[5].weight, net[5].bias,
                                             net[6].bias])


def test_frozen_parameters_are_left_out_and_tagged_modules_get_their_own_group() -> None:
    net = _net()
    net[0].weight.requires_grad = False
    set_param_group_options(net[6], name="head", fixed_lr=True, lr=0.5)
    groups = {g["name"]: g for g in parameter_groups(net, exclude_norm_and_bias_from_weight_decay=True)}
    assert set(groups) == {"params_no_decay", "head", "head_no_decay"}  # no trainable weight left in "params"
    assert groups["head"]["fixed_lr"] and groups["head"]["lr"] == 0.5
    assert _ids(groups["head"]["params"]) == _ids([net[6].weight])
    assert _ids(groups["head_no_decay"]["params"]) == _ids([net[6].bias])
    assert groups["head_no_decay"]["fixed_lr"] and groups["head_no_decay"]["weight_decay"] == 0.0
    assert sum(len(g["params"]) for g in groups.values()) == len([p for p in net.parameters() if p.requires_grad])


def test_task_module_optimizer_excludes_norm_and_bias_only_when_asked() -> None:
    default = _Classifier().configure_optimizers()
    assert len(default.param_groups) == 1 and default.param_groups[0]["weight_decay"] == 0.05
    assert "name" not in default.param_groups[0]  # unchanged log keys (lr-AdamW) and checkpoints

    model = _Classifier(exclude_norm_and_bias_from_weight_decay=True)
    optimizer = model.configure_optimizers()
    by_name = {g["name"]: g for g in optimizer.param_groups}
    assert by_name["params"]["weight_decay"] == 0.05 and by_name["params_no_decay"]["weight_decay"] == 0.0
    assert _ids(by_name["params_no_decay"]["params"]) == _ids([model.net[1].weight, model.net[1].bias,
                                                               model.net[0].bias, model.net[5].weight,
                                                               model.net[5].bias, model.net[6].bias])
    # A weight-decay-only step (zero gradients): decayed weights shrink, norms and biases do not.
    before = [p.detach().clone() for p in model.parameters()]
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    optimizer.step()
    no_decay = _ids(by_name["params_no_decay"]["params"])
    for p, old in zip(model.parameters(), before, strict=True):
        assert torch.equal(p, old) == (id(p) in no_decay)
