"""Build the configured optimizer with torch's fused kernel where it is allowed.

torch picks the per-tensor Python loop for Adam and AdamW on a CPU (``foreach`` only on
CUDA): a Python iteration per parameter and per update term. Its fused kernel does the same
update in one call: for the seg demo's 32 parameter tensors 0.29 instead of 0.86 ms per step
on a 2-core CPU (3% of the step), and one kernel instead of several per tensor on a GPU.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable
from typing import Any

import torch

from nnframe.core.compat.torch import fused_kernel_devices

#: The torch optimizers whose fused kernel computes the same update as their default loop. Not SGD:
#: its fused kernel fails (torch 2.15) once a parameter gets its first gradient after the first
#: step, as an unfrozen backbone does (``freeze_backbone_epochs``), its momentum buffer still None.
FUSED_OPTIMIZERS: tuple[type[torch.optim.Optimizer], ...] = (torch.optim.Adam, torch.optim.AdamW)


def fused_supported(params: Iterable[Any]) -> bool:
    """Whether every parameter is a floating-point tensor on a device with fused kernels."""
    devices = fused_kernel_devices()
    tensors = [p for group in params for p in (group["params"] if isinstance(group, dict) else [group])]
    return bool(tensors) and all(
        torch.is_floating_point(p) and p.device.type in devices and not p.is_sparse for p in tensors)


def build_optimizer(factory: Callable[..., torch.optim.Optimizer], params: Any,
                    allow_fused: bool = True) -> torch.optim.Optimizer:
    """``factory(params=params)``; for Adam and AdamW whose config sets neither ``fused``
    nor ``foreach``, with ``fused=True`` when ``allow_fused`` and the parameters allow it.

    ``allow_fused=False`` where a GradScaler unscales the gradients (``precision=16-mixed``):
    Lightning cannot clip the gradients of an optimizer that unscales them itself.

    Args:
        factory: the optimizer config instantiated with ``_partial_: true`` (any callable).
        params: parameters or parameter groups.
        allow_fused: whether the fused kernel may be chosen.
    """
    params = list(params)
    optimizer_class = factory.func if isinstance(factory, functools.partial) else factory
    keywords = factory.keywords if isinstance(factory, functools.partial) else {}
    if (allow_fused and inspect.isclass(optimizer_class) and optimizer_class in FUSED_OPTIMIZERS
            and "fused" not in keywords and "foreach" not in keywords and not keywords.get("differentiable")
            and fused_supported(params)):
        return factory(params=params, fused=True)
    return factory(params=params)
