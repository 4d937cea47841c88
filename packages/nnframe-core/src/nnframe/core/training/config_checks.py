"""Checks of the composed config that run before any data is loaded or any process started."""

from __future__ import annotations

from collections.abc import Callable
from numbers import Real
from typing import Any

from omegaconf import DictConfig, OmegaConf

from nnframe.core.errors import ConfigError
from nnframe.core.output_dir import ensure_writable_dir

__all__ = ["RULES", "ensure_writable_dir", "validate_config"]


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _devices(value: Any) -> bool:
    if value == "auto" or (_int(value) and (value >= 1 or value == -1)):
        return True
    if isinstance(value, str):  # "0,1" or "2"
        parts = [part.strip() for part in value.split(",") if part.strip()]
        return bool(parts) and all(part.isdigit() for part in parts)
    return OmegaConf.is_list(value) or isinstance(value, list)


# key -> (what a valid value is, test). Only the values a user commonly types on the command line;
# anything else is checked by the object it builds.
RULES: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "seed": ("an integer", _int),
    "trainer.max_epochs": ("an integer >= 1, or -1 for no limit",
                           lambda v: v is None or _int(v) and (v >= 1 or v == -1)),
    "trainer.min_epochs": ("an integer >= 0", lambda v: v is None or _int(v) and v >= 0),
    "trainer.max_steps": ("an integer >= 1, or -1 for no limit", lambda v: _int(v) and (v >= 1 or v == -1)),
    "trainer.devices": ("a number of devices (>= 1, -1 for all), 'auto', or a list of device ids", _devices),
    "trainer.num_nodes": ("an integer >= 1", lambda v: _int(v) and v >= 1),
    "trainer.accumulate_grad_batches": ("an integer >= 1", lambda v: _int(v) and v >= 1),
    "trainer.check_val_every_n_epoch": ("an integer >= 1 or null", lambda v: v is None or _int(v) and v >= 1),
    "trainer.log_every_n_steps": ("an integer >= 1", lambda v: _int(v) and v >= 1),
    "trainer.gradient_clip_val": ("a number >= 0 or null", lambda v: v is None or _number(v) and v >= 0),
    "data.batch_size": ("an integer >= 1, or auto to take it from the data's size",
                        lambda v: v == "auto" or _int(v) and v >= 1),
    "data.eval_batch_size": ("an integer >= 1 or null", lambda v: v is None or _int(v) and v >= 1),
    "data.num_workers": ("an integer >= 0", lambda v: _int(v) and v >= 0),
    "data.image_size": ("an integer >= 1, or auto to take it from the data",
                        lambda v: v == "auto" or _int(v) and v >= 1),
    "data.num_classes": ("an integer >= 1, or null to take it from the data",
                         lambda v: v is None or _int(v) and v >= 1),
    "data.val_fraction": ("a number in [0, 1)", lambda v: _number(v) and 0 <= v < 1),
    "model.optimizer.lr": ("a number > 0", lambda v: _number(v) and v > 0),
    "callbacks.checkpoint.every_n_train_steps": ("an integer >= 1 or null",
                                                 lambda v: v is None or _int(v) and v >= 1),
}


def validate_config(cfg: DictConfig) -> None:
    """Check the values in :data:`RULES` that ``cfg`` has.

    Raises:
        ConfigError: naming every bad key, its value and what it should be.
    """
    problems = []
    for key, (expected, valid) in RULES.items():
        try:
            value = OmegaConf.select(cfg, key, throw_on_missing=False)
        except Exception:  # an interpolation that cannot resolve: the object that uses it will say
            continue
        if value is None and OmegaConf.select(cfg, key, default="<absent>") == "<absent>":
            continue
        if not valid(value):
            problems.append(f"{key}={value!r} must be {expected}")
    if problems:
        raise ConfigError(f"invalid config: {'; '.join(problems)} "
                          "(fix the override or the experiment config)")
