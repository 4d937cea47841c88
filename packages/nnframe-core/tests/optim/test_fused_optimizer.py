"""The configured optimizer gets torch's fused kernel where it computes the same update."""

from __future__ import annotations

from functools import partial
from types import SimpleNamespace

import lightly.utils.lars
import pytest
import torch
from torch import nn

from nnframe.core.optim import build_optimizer
from nnframe.core.optim.fused import fused_supported


def _params(seed: int = 0) -> list[nn.Parameter]:
    torch.manual_seed(seed)
    return [nn.Parameter(torch.randn(8, 4)), nn.Parameter(torch.randn(4))]


def _train(optimizer: torch.optim.Optimizer, params: list[nn.Parameter], steps: int = 5) -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    for _ in range(steps):
        for p in params:
            p.grad = torch.randn(p.shape, generator=generator)
        optimizer.step()
    return [p.detach().clone() for p in params]


@pytest.mark.parametrize("factory", [
    partial(torch.optim.AdamW, lr=0.01, weight_decay=0.05),
    partial(torch.optim.Adam, lr=0.01),
])
def test_adam_and_adamw_get_the_fused_kernel_and_the_same_updates(factory) -> None:
    fused_params, loop_params = _params(), _params()
    fused = build_optimizer(factory, fused_params)
    loop = factory(params=loop_params)
    assert fused.defaults["fused"] is True and not loop.defaults.get("fused")
    for a, b in zip(_train(fused, fused_params), _train(loop, loop_params), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_parameter_groups_keep_their_options() -> None:
    params = _params()
    optimizer = build_optimizer(partial(torch.optim.AdamW, lr=0.01),
                                [{"params": params[:1], "lr": 0.5, "lr_scale": 0.5}, {"params": params[1:]}])
    assert optimizer.defaults["fused"] is True
    assert [g["lr"] for g in optimizer.param_groups] == [0.5, 0.01]
    assert optimizer.param_groups[0]["lr_scale"] == 0.5


@pytest.mark.parametrize("factory", [
    partial(torch.optim.AdamW, lr=0.01, fused=False),     # the config chose the implementation
    partial(torch.optim.AdamW, lr=0.01, foreach=True),
    partial(torch.optim.RMSprop, lr=0.01),                 # no fused kernel of the same update
    partial(torch.optim.SGD, lr=0.1, momentum=0.9),        # its fused kernel fails on late gradients (below)
    partial(lightly.utils.lars.LARS, lr=0.1),              # not a torch optimizer: called as configured
])
def test_an_implementation_the_config_chose_or_another_optimizer_is_left_as_configured(factory) -> None:
    optimizer = build_optimizer(factory, _params())
    assert optimizer.defaults.get("fused") is factory.keywords.get("fused")
    assert optimizer.defaults.get("foreach") is factory.keywords.get("foreach")


@pytest.mark.parametrize("factory", [partial(torch.optim.AdamW, lr=0.01),
                                     partial(torch.optim.SGD, lr=0.1, momentum=0.9)])
def test_a_parameter_whose_first_gradient_comes_late_is_updated(factory) -> None:
    """A frozen backbone's parameters are in the optimizer but get gradients only once unfrozen."""
    params, reference = _params(), _params()
    optimizer, loop = build_optimizer(factory, params), factory(params=reference)
    for step in range(3):
        for group in (params, reference):
            group[0].grad = torch.full_like(group[0], 0.5)
            group[1].grad = torch.full_like(group[1], -0.5) if step else None  # "unfrozen" after step 0
        optimizer.step()
        loop.step()
    for a, b in zip(params, reference, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_not_fused_when_not_allowed_or_a_parameter_cannot_be() -> None:
    factory = partial(torch.optim.AdamW, lr=0.1)
    assert not build_optimizer(factory, _params(), allow_fused=False).defaults.get("fused")
    on_meta = [nn.Parameter(torch.zeros(2)), nn.Parameter(torch.zeros(2, device="meta"))]  # no fused kernels there
    assert not fused_supported(on_meta) and fused_supported(on_meta[:1])
    assert not fused_supported([torch.zeros(2, dtype=torch.int64)]) and not fused_supported([])


def test_task_module_builds_a_fused_optimizer_except_under_a_grad_scaler() -> None:
    from nnframe.core.modules import TaskModule

    class Classifier(TaskModule):
        def build_metrics(self):
            from torchmetrics import MetricCollection
            from torchmetrics.classification import MulticlassAccuracy
            return MetricCollection({"acc": MulticlassAccuracy(2)})

        def compute_loss(self, outputs, target):
            return nn.functional.cross_entropy(outputs, target)

    model = Classifier(net=nn.Linear(4, 2), optimizer=partial(torch.optim.AdamW, lr=0.1))
    assert model.configure_optimizers().defaults["fused"] is True
    # Under fp16 autocast a GradScaler unscales the gradients; Lightning clips only if the
    # optimizer does not unscale them itself (as a fused one does).
    model._trainer = SimpleNamespace(precision="16-mixed", estimated_stepping_batches=10)
    assert not model.configure_optimizers().defaults.get("fused")
    model._trainer = SimpleNamespace(precision="bf16-mixed", estimated_stepping_batches=10)
    assert model.configure_optimizers().defaults["fused"] is True
