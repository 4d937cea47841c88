"""Runs one task action as a Hydra application (run dirs, multirun, sweepers, launchers)."""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Callable
from typing import Any

from nnframe.core.errors import NnframeError
from nnframe.core.resolvers import register_resolvers
from nnframe.core.task_spec import TaskSpec

log = logging.getLogger(__name__)


def import_function(path: str) -> Callable[..., Any]:
    """Import ``"package.module:function"``."""
    module_name, _, attr = path.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def _route_lightning_logs_to_hydra() -> None:
    """Lightning adds its own console handler when imported; under Hydra its records already
    reach Hydra's console and log file, so drop Lightning's handler to print each line once."""
    for name in ("lightning.pytorch", "lightning.fabric"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True


def run_action(spec: TaskSpec, action: str, overrides: list[str]) -> int:
    """Compose ``spec``'s config for ``action`` with ``overrides`` and run the action's function.

    Returns:
        The process exit code: 0 on success, 2 for a user error (message printed, no traceback).
    """
    import hydra
    from omegaconf import DictConfig

    register_resolvers()
    action_spec = spec.actions[action]
    exit_code = 0

    def task_function(cfg: DictConfig) -> Any:
        nonlocal exit_code
        function = import_function(action_spec.function)  # heavy imports happen only here
        _route_lightning_logs_to_hydra()
        # The real command line, so that Lightning can re-launch it for DDP worker processes.
        sys.argv = saved_argv
        try:
            return function(cfg)
        except NnframeError as error:
            log.error("%s", error)
            print(f"nnframe: error: {error}", file=sys.stderr)
            exit_code = 2
            if cfg.get("hydra_sweep_continue_on_error", False):
                return float("nan")
            raise SystemExit(2) from None

    task_function.__module__ = f"nnframe.{spec.name}"
    task_function.__qualname__ = task_function.__name__ = f"{spec.name}_{action}"
    saved_argv = sys.argv
    sys.argv = [f"nnframe {spec.name} {action}", f"action={action}", *overrides]
    try:
        hydra.main(
            version_base="1.3",
            config_path=f"pkg://{spec.config_package}",
            config_name=action_spec.config_name,
        )(task_function)()
    except SystemExit as stop:
        return int(stop.code or 0)
    finally:
        sys.argv = saved_argv
    return exit_code
