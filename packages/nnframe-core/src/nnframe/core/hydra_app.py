"""Runs one task action as a Hydra application (run dirs, multirun, sweepers, launchers)."""

from __future__ import annotations

import importlib
import logging
import os
import sys
from collections.abc import Callable
from typing import Any

from nnframe.core.errors import NnframeError, user_message
from nnframe.core.project_paths import project_hydra_flags
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
    import lightning.pytorch  # noqa: F401  (import first: the handler is added at import time)

    for name in ("lightning", "lightning.pytorch", "lightning.fabric"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True


# Hydra flags followed by a value; --info takes one only if it is one of its topics.
_VALUE_FLAGS = {"--cfg", "-c", "--package", "-p", "--config-path", "-cp", "--config-name", "-cn",
                "--config-dir", "-cd", "--experimental-rerun"}
_INFO_TOPICS = {"all", "config", "defaults", "defaults-tree", "plugins", "searchpath"}


def split_hydra_flags(args: list[str]) -> tuple[list[str], list[str]]:
    """Separate Hydra's flags (``-m``, ``--cfg job``, ...) from ``key=value`` overrides.

    Hydra's parser wants all flags before the overrides, users put them anywhere
    (``nnframe cls train lr=0.1 -m``).

    Returns:
        ``(flags with their values, overrides)``, each in the given order.
    """
    flags: list[str] = []
    overrides: list[str] = []
    args = list(args)
    while args:
        arg = args.pop(0)
        if not arg.startswith("-"):
            overrides.append(arg)
            continue
        flags.append(arg)
        if args and "=" not in arg and (arg in _VALUE_FLAGS or (arg == "--info" and args[0] in _INFO_TOPICS)):
            flags.append(args.pop(0))
    return flags, overrides


def _in_multirun() -> bool:
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    return HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN


# Overrides that make a sweep, not a run: a DDP worker re-running them would start a sweep of its own.
_SWEEP_OVERRIDES = ("action=", "hparams_search=", "hydra/sweeper", "hydra.sweeper.", "hydra/launcher",
                    "hydra.launcher.", "hydra.sweep.", "hydra.mode=")


def worker_argv(argv: list[str], task: str, action: str) -> list[str]:
    """The command line of this job of a multirun, for Lightning to re-launch in DDP workers.

    Lightning starts the other ranks of a local DDP run by re-running ``sys.argv`` with
    ``hydra.run.dir=<HydraConfig run.dir>``; the sweep's command line (``-m``, ``a,b``) would
    start a whole sweep in every worker. Instead: this job's own overrides, and this job's
    directory as the run directory.
    """
    from hydra.core.hydra_config import HydraConfig
    from omegaconf import read_write

    hydra_cfg = HydraConfig.get()
    overrides = [o for o in hydra_cfg.overrides.task if not o.lstrip("+~").startswith(_SWEEP_OVERRIDES)]
    with read_write(hydra_cfg):
        hydra_cfg.run.dir = hydra_cfg.runtime.output_dir
    return [argv[0], task, action, *overrides]


def _reset_distributed(environment: dict[str, str]) -> None:
    """Undo what a DDP job leaves in this process before the sweep's next job.

    Lightning's DDP launcher keeps its process group and sets rendezvous variables
    (``MASTER_PORT``, ``LOCAL_RANK``, ...) in ``os.environ``; the next job would take them for an
    external launcher's (torchrun, SLURM) and wait for workers that never come. Variables that
    were there before the job (set by a real external launcher) are kept.
    """
    if "torch" in sys.modules:
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            dist.destroy_process_group()
    for key in set(os.environ) - set(environment):
        del os.environ[key]
    for key, value in environment.items():
        if os.environ.get(key) != value:
            os.environ[key] = value


def _record_failure(cfg: Any, error: Exception) -> None:
    """Leave ``run.json`` (status failed) in the run directory, for ``nnframe runs``.

    Why not return NaN to the sweeper instead of raising: the Optuna sweeper (optuna 2.x) cannot
    record a NaN result and would end the study; a raised error is recorded as a failed trial.
    """
    from nnframe.core.sweeps import write_run_record

    if int(os.environ.get("RANK", os.environ.get("LOCAL_RANK", "0"))) != 0:
        return
    try:
        write_run_record(cfg.paths.output_dir, "failed", error=f"{type(error).__name__}: {error}",
                         action=cfg.get("action"), optimized_metric=cfg.get("optimized_metric"),
                         monitor_mode=cfg.get("monitor_mode"))
    except Exception:  # never hide the run's own error behind a bookkeeping one
        log.warning("could not write run.json for the failed run", exc_info=True)


def run_action(spec: TaskSpec, action: str, overrides: list[str]) -> int:
    """Compose ``spec``'s config for ``action`` with ``overrides`` and run the action's function.

    Returns:
        The process exit code: 0 on success, 2 for a user error (message printed, no traceback).
    """
    import hydra
    from omegaconf import DictConfig

    register_resolvers(exit_on_error=True)
    action_spec = spec.actions[action]
    exit_code = 0

    def task_function(cfg: DictConfig) -> Any:
        nonlocal exit_code
        function = import_function(action_spec.function)  # heavy imports happen only here
        _route_lightning_logs_to_hydra()
        sweeping = _in_multirun()
        # The command line Lightning re-launches for DDP worker processes.
        sys.argv = worker_argv(saved_argv, spec.name, action) if sweeping else saved_argv
        environment = dict(os.environ)
        try:
            return function(cfg)
        except NnframeError as error:
            log.error("%s", user_message(error))
            print(f"nnframe: error: {user_message(error)}", file=sys.stderr)
            exit_code = 2
            if not sweeping:
                raise SystemExit(2) from None
            _record_failure(cfg, error)
            if cfg.get("hydra_sweep_continue_on_error", True):
                raise  # the launcher keeps it as this job's result; the sweep goes on
            raise SystemExit(2) from None
        except Exception as error:
            if not sweeping:
                raise
            log.exception("run failed")
            exit_code = 1
            _record_failure(cfg, error)
            if cfg.get("hydra_sweep_continue_on_error", True):
                raise
            raise SystemExit(1) from None
        finally:
            if sweeping:
                _reset_distributed(environment)

    task_function.__module__ = f"nnframe.{spec.name}"
    task_function.__qualname__ = task_function.__name__ = f"{spec.name}_{action}"
    saved_argv = sys.argv
    flags, overrides = split_hydra_flags(overrides)
    try:
        flags, project_env = project_hydra_flags(flags)  # --config-dir / NNFRAME_CONFIG_DIR, sys.path
    except NnframeError as error:
        print(f"nnframe: error: {error}", file=sys.stderr)
        return 2
    sys.argv = [f"nnframe {spec.name} {action}", *flags, f"action={action}", *overrides]
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
        project_env.restore()
    return exit_code
