"""Per-step callback hooks called only on the callbacks that implement them.

Lightning calls each of the six per-step callback hooks on every callback, its own no-op
methods included, each call inside a profiler context with a formatted name (and, for the
checkpoint and early-stopping callbacks, a ``state_key`` built from their settings): with
nnframe's 14 default callbacks, 84 calls per step, of which 10 do anything. Skipping the calls
of :class:`lightning.pytorch.Callback`'s own empty methods takes 0.1-0.15 ms off every step on
a CPU (measured on a 2 ms step: ``benchmarks/overhead.py``). Lightning has no switch for it
(its maintainers left it open in Lightning-AI/pytorch-lightning#10575), so this wraps its
dispatch function, for the trainers :func:`enable` marks only. Nothing that runs is skipped:
a callback whose hook is its own method, or a function set on the instance, is called as
before, in the same order. With a profiler set (``+trainer.profiler=simple``) every hook goes
through Lightning's own path, so the profile keeps its entries.
"""

from __future__ import annotations

from typing import Any

import lightning as L
from lightning.pytorch.profilers import PassThroughProfiler
from lightning.pytorch.trainer import call

#: Hooks called at every training step; the others run a few times per epoch.
PER_STEP_HOOKS = frozenset({"on_train_batch_start", "on_before_zero_grad", "on_before_backward",
                            "on_after_backward", "on_before_optimizer_step", "on_train_batch_end"})
_NOOPS = {name: getattr(L.Callback, name) for name in PER_STEP_HOOKS}
_MARK = "_nnframe_skip_noop_hooks"
# Lightning's private dispatch function; where a Lightning version has none, enable() changes nothing.
_lightning_call_callback_hooks = getattr(call, "_call_callback_hooks", None)


def _call_callback_hooks(trainer: L.Trainer, hook_name: str, *args: Any, monitoring_callbacks: bool | None = None,
                         **kwargs: Any) -> None:
    """Lightning's ``_call_callback_hooks``, without the calls of ``Callback``'s empty methods
    at the per-step hooks of a marked trainer that has no profiler."""
    noop = _NOOPS.get(hook_name)
    if (noop is None or monitoring_callbacks is not None or not getattr(trainer, _MARK, False)
            or not isinstance(trainer.profiler, PassThroughProfiler)):
        _lightning_call_callback_hooks(trainer, hook_name, *args,  # type: ignore[misc]
                                       monitoring_callbacks=monitoring_callbacks, **kwargs)
        return
    pl_module = trainer.lightning_module
    if pl_module:
        previous, pl_module._current_fx_name = pl_module._current_fx_name, hook_name
    for callback in trainer.callbacks:
        fn = getattr(callback, hook_name)
        if getattr(fn, "__func__", None) is not noop and callable(fn):
            fn(trainer, trainer.lightning_module, *args, **kwargs)
    if pl_module:
        pl_module._current_fx_name = previous


def enable(trainer: L.Trainer) -> None:
    """Skip the empty per-step callback hooks for ``trainer`` (see the module docstring)."""
    if _lightning_call_callback_hooks is None:
        return
    setattr(trainer, _MARK, True)
    if call._call_callback_hooks is _lightning_call_callback_hooks:
        call._call_callback_hooks = _call_callback_hooks


def is_enabled(trainer: L.Trainer) -> bool:
    """Whether :func:`enable` was called for ``trainer``."""
    return bool(getattr(trainer, _MARK, False)) and call._call_callback_hooks is _call_callback_hooks
