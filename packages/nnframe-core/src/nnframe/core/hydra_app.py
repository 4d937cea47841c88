"""Runs one task action as a Hydra application (run dirs, multirun, sweepers, launchers)."""

from __future__ import annotations

import importlib
import logging
import os
import signal
import sys
import warnings
from collections.abc import Callable
from typing import Any

from nnframe.core.errors import NnframeError, TrainingError, user_message
from nnframe.core.project_paths import project_hydra_flags
from nnframe.core.resolvers import apply_run_name, check_dir_overrides, claiming_run_dirs, register_resolvers
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


class _DropLightningTips(logging.Filter):
    """Lightning's advertisements ("💡 Tip: ... litlogger / litmodels") are not about the run, nor
    is the default of an argument nnframe does not pass on the tuner's own checkpoints."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(("💡 Tip", "`weights_only` was not set"))


def quiet_library_noise(cfg: Any) -> None:
    """In every action: no Lightning tips (advertisements), and with ``extras.ignore_warnings=true``
    (the default) no Python warnings (deprecations, "few dataloader workers"); errors still show."""
    if (cfg.get("extras") or {}).get("ignore_warnings", False):
        warnings.filterwarnings("ignore")
    lightning_handlers = []
    for name in ("lightning", "lightning.pytorch", "lightning.fabric"):
        logger = logging.getLogger(name)
        lightning_handlers += logger.handlers  # Lightning's own console handler (the Python API keeps it)
        if not any(isinstance(f, _DropLightningTips) for f in logger.filters):
            logger.addFilter(_DropLightningTips())
    # records of child loggers skip their parents' filters, not their handlers'
    for handler in [*logging.getLogger().handlers, *lightning_handlers]:
        if not any(isinstance(f, _DropLightningTips) for f in handler.filters):
            handler.addFilter(_DropLightningTips())


def _widen_console_off_terminal() -> None:
    """Rich cuts tables (Lightning's model summary) at 80 columns when the output is not a
    terminal; a log file has room."""
    import rich

    if not rich.get_console().is_terminal:
        from nnframe.core.callbacks.rich_progress_bar import OFF_TERMINAL_WIDTH

        rich.reconfigure(width=OFF_TERMINAL_WIDTH)


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
    were there before the job (set by a real external launcher) are kept, and so is the process
    group of an external launch: the next job joins it (Lightning reuses an initialized one), as a
    new one would meet the last job's stale addresses in the launcher's store.
    """
    from nnframe.core.external_launch import external_launch

    for key in set(os.environ) - set(environment):
        del os.environ[key]
    for key, value in environment.items():
        if os.environ.get(key) != value:
            os.environ[key] = value
    if "torch" in sys.modules and external_launch() is None:
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            dist.destroy_process_group()


def _record_failure(cfg: Any, error: BaseException) -> None:
    """Leave ``run.json`` (status failed, with the error) in the run directory, for ``nnframe runs``.

    Why not return NaN to the sweeper instead of raising: a raised error is recorded as a failed
    trial with its message (the sweeper logs "Failed experiment: ..."), a NaN with none.
    """
    from nnframe.core.training.run_lifecycle import record_run

    record_run(cfg.paths.output_dir, "failed", error=f"{type(error).__name__}: {user_message(error)}",
               action=cfg.get("action"), optimized_metric=cfg.get("optimized_metric"),
               monitor_mode=cfg.get("monitor_mode"))


def _log_to_file(message: str) -> None:
    """``message`` in the run's log file only (the console line is printed to stderr apart)."""
    record = log.makeRecord(log.name, logging.ERROR, __file__, 0, message, None, None)
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.FileHandler):
            handler.handle(record)


def _report_user_error(error: BaseException) -> None:
    message = f"nnframe: error: {user_message(error)}"
    _log_to_file(message)
    print(message, file=sys.stderr, flush=True)


def _stopped(cfg: Any, stop: BaseException, recorded: bool) -> SystemExit:
    """The exit of a run stopped by a signal: ``run.json`` interrupted (train), exit 128 + signal;
    a DDP process that Lightning started exits with 0 (see ``launched_by_lightning``)."""
    from nnframe.core.training.run_lifecycle import (
        RunInterrupted,
        exit_code,
        launched_by_lightning,
        record_run,
    )

    # The run has stopped and saved: a copy of the same signal that arrives while the process
    # exits (a wrapper or scheduler delivers it twice; Lightning put the default handler back after
    # fit) must not kill it before it exits with its code and record.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if isinstance(stop, RunInterrupted):
        signum, details = stop.signum, stop.details
    else:  # KeyboardInterrupt outside a trainer, or SIGTERMException from eval/predict/tune
        from nnframe.core.training.stop_signals import last_stop_signal

        signum = int(signal.SIGINT if isinstance(stop, KeyboardInterrupt) else last_stop_signal() or signal.SIGTERM)
        details = {}
        print(f"\nnnframe: stopped by {signal.Signals(signum).name} before the end of "
              f"`{cfg.get('action')}`", file=sys.stderr, flush=True)
    if recorded:
        record_run(cfg.paths.output_dir, "interrupted", action=cfg.get("action"),
                   signal=signal.Signals(signum).name, optimized_metric=cfg.get("optimized_metric"),
                   monitor_mode=cfg.get("monitor_mode"), **details)
    return SystemExit(0 if launched_by_lightning() else exit_code(signum))


def _is_stop(stop: BaseException) -> bool:
    """A stop on a signal (not an ordinary ``SystemExit`` such as a user error's exit 2)."""
    if isinstance(stop, KeyboardInterrupt):
        return True
    from lightning.pytorch.utilities.exceptions import SIGTERMException

    from nnframe.core.training.run_lifecycle import RunInterrupted

    return isinstance(stop, RunInterrupted | SIGTERMException)


# hydra-optuna-sweeper 1.3 builds Optuna 2's distribution classes and passes the TPE and CMA-ES
# samplers arguments that Optuna 4.3-4.9 deprecated (removed in Optuna 6): twelve lines of
# FutureWarning before every study that no setting of the user's silences. Fixed upstream by
# facebookresearch/hydra#3211 (hydra-optuna-sweeper 1.4, which needs hydra-core 1.4): drop with it.
_OPTUNA_SWEEPER_DEPRECATIONS = (
    r"(Uniform|LogUniform|IntUniform|IntLogUniform|DiscreteUniform)Distribution has been deprecated",
    r"`(consider_prior|prior_weight|consider_magic_clip|consider_endpoints|warn_independent_sampling|"
    r"restart_strategy)` has been deprecated",
)


def run_action(spec: TaskSpec, action: str, overrides: list[str]) -> int:
    """Compose ``spec``'s config for ``action`` with ``overrides`` and run the action's function.

    Returns:
        The process exit code: 0 on success, 2 for a user error (message printed, no traceback).
    """
    import hydra
    from hydra.errors import CompactHydraException
    from omegaconf import DictConfig

    register_resolvers(exit_on_error=True)
    # Hydra imports every installed plugin at start-up, Optuna's sweeper among them, and Alembic
    # (under Optuna's storage) logs "setup plugin ..." seven times at import.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    for message in _OPTUNA_SWEEPER_DEPRECATIONS:  # before Hydra builds the sweeper and its sampler
        warnings.filterwarnings("ignore", message=message, category=FutureWarning)
    action_spec = spec.actions[action]
    exit_code = 0

    # Hydra prints a composition error itself, with advice of its own ("To append to your config
    # use +key=value", which a typo turns into a TypeError): with HYDRA_FULL_ERROR it raises it to
    # here instead. Set until the config is composed (the task function starts) only, so errors
    # of the run keep Hydra's usual report; a user's own HYDRA_FULL_ERROR is left alone.
    catch_composition = "HYDRA_FULL_ERROR" not in os.environ
    if catch_composition:
        os.environ["HYDRA_FULL_ERROR"] = "1"

    def task_function(cfg: DictConfig) -> Any:
        nonlocal exit_code
        if catch_composition:
            os.environ.pop("HYDRA_FULL_ERROR", None)
        from nnframe.core.training.run_lifecycle import (
            disk_full_message,
            mark_attempt_start,
            quiet_disk_full_noise,
        )
        from nnframe.core.training.stop_signals import last_dead_rank

        mark_attempt_start()  # what this attempt wrote tells a run that went on from a failed resume
        quiet_disk_full_noise()
        apply_run_name(cfg)  # the name its directory got
        quiet_library_noise(cfg)
        _widen_console_off_terminal()
        function = import_function(action_spec.function)  # heavy imports happen only here
        _route_lightning_logs_to_hydra()
        sweeping = _in_multirun()
        # The command line Lightning re-launches for DDP worker processes.
        sys.argv = worker_argv(saved_argv, spec.name, action) if sweeping else saved_argv
        environment = dict(os.environ)
        recorded = action in ("train", "eval") or sweeping  # runs that leave a run.json for `nnframe runs`
        try:
            return function(cfg)
        except (KeyboardInterrupt, SystemExit) as stop:
            if not _is_stop(stop):
                raise
            raise _stopped(cfg, stop, recorded) from None
        except NnframeError as error:
            _report_user_error(error)
            exit_code = 2
            if recorded:
                _record_failure(cfg, error)
            if sweeping and cfg.get("hydra_sweep_continue_on_error", True):
                raise  # the launcher keeps it as this job's result; the sweep goes on
            raise SystemExit(2) from None
        except Exception as error:
            dead = last_dead_rank()  # already printed, by rank 0 when the collective failed
            full = disk_full_message(error, cfg.paths.output_dir)
            if recorded:
                _record_failure(cfg, TrainingError(dead) if dead else error)
            if full is not None and not sweeping:
                _report_user_error(RuntimeError(full))
                raise SystemExit(1) from None
            if dead is not None and not sweeping:
                _log_to_file(f"nnframe: error: {dead}")
                raise SystemExit(1) from None
            if not sweeping:
                raise
            log.exception("run failed")
            exit_code = 1
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
        check_dir_overrides(overrides)
        flags, project_env = project_hydra_flags(flags)  # --config-dir / NNFRAME_CONFIG_DIR, sys.path
    except NnframeError as error:
        print(f"nnframe: error: {error}", file=sys.stderr)
        return 2
    sys.argv = [f"nnframe {spec.name} {action}", *flags, f"action={action}", *overrides]
    try:
        with claiming_run_dirs():
            hydra.main(
                version_base="1.3",
                config_path=f"pkg://{spec.config_package}",
                config_name=action_spec.config_name,
            )(task_function)()
    except SystemExit as stop:
        return int(stop.code or 0)
    except KeyboardInterrupt:  # Ctrl-C while Hydra composes, before the run started
        print("\nnnframe: stopped by Ctrl-C (SIGINT) before the run started", file=sys.stderr)
        return 130
    except CompactHydraException as error:
        if not catch_composition or os.environ.get("HYDRA_FULL_ERROR") != "1":
            raise  # the user's HYDRA_FULL_ERROR, or an error of the run itself
        return _report_composition_error(error, spec, action_spec.config_name, action, overrides)
    finally:
        sys.argv = saved_argv
        project_env.restore()
        if catch_composition:
            os.environ.pop("HYDRA_FULL_ERROR", None)
    return exit_code


def _report_composition_error(error: BaseException, spec: TaskSpec, config_name: str, action: str,
                              overrides: list[str]) -> int:
    """nnframe's message for an unknown key (the closest existing one), else Hydra's own report."""
    from omegaconf.errors import OmegaConfBaseException

    from nnframe.core.override_typos import unknown_key_message

    message = unknown_key_message(error, spec.config_package, config_name, action, overrides,
                                  f"nnframe {spec.name} {action}")
    if message is not None:
        print(f"nnframe: error: {message}", file=sys.stderr, flush=True)
        return 2
    print(error, file=sys.stderr)  # what Hydra's run_and_report prints for such an error
    if isinstance(error.__cause__, OmegaConfBaseException):
        print(error.__cause__, file=sys.stderr)
    print("\nSet the environment variable HYDRA_FULL_ERROR=1 for a complete stack trace.", file=sys.stderr)
    return 1
