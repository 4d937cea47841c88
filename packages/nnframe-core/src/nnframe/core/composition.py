"""Composing a task's config the way ``nnframe <task> <action>`` does, for notebooks, scripts and tests.

``compose("cls", ["trainer.max_epochs=2"])`` gives the config the command line would give its
action: the same search path (the task's configs, a ``--config-dir``, core's shared groups), the
same resolvers and run-directory rule (``outputs/<task>/<action>/<run_name>/<time>``), with
``${hydra:...}`` values resolved. Imports hydra, not torch.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf, open_dict, read_write

from nnframe.core.errors import ConfigError
from nnframe.core.project_paths import use_project
from nnframe.core.resolvers import apply_run_name, forget_run_dirs, register_resolvers
from nnframe.core.task_spec import TaskSpec

# id(run config) -> (weak reference to it, its Hydra config): a notebook composes several configs
# before running them, and Hydra's own HydraConfig holds only the last one.
_HYDRA_CONFIGS: dict[int, tuple[weakref.ref[DictConfig], DictConfig]] = {}


def compose_config(config_package: str, overrides: Iterable[str] = (), config_name: str = "config",
                   action: str = "train", config_dir: str | os.PathLike[str] | None = None) -> DictConfig:
    """Compose ``config_package``'s primary config as Hydra's command line does, Hydra node included.

    Args:
        config_package: e.g. ``"nnframe.cls.configs"``.
        overrides: Hydra overrides, e.g. ``["trainer.max_epochs=1"]``.
        config_name: the primary config.
        action: the value of ``action``.
        config_dir: an extra config folder, placed where ``--config-dir`` puts it (after the
            task's package, before core's groups).

    Returns:
        The config with its ``hydra`` node (``hydra.runtime.output_dir`` not yet set).
    """
    from hydra._internal.hydra import Hydra
    from hydra._internal.utils import create_config_search_path
    from hydra.core.config_search_path import SearchPathQuery
    from hydra.core.global_hydra import GlobalHydra
    from hydra.types import RunMode

    register_resolvers()
    search_path = create_config_search_path(f"pkg://{config_package}")
    if config_dir is not None:  # what Hydra's own `--config-dir` does (hydra/_internal/utils.py)
        search_path.prepend(provider="command-line", path=f"file://{Path(config_dir).resolve()}",
                            anchor=SearchPathQuery(provider="schema"))
    global_hydra = GlobalHydra.instance()
    global_hydra.clear()
    try:
        hydra = Hydra.create_main_hydra2(task_name=config_package, config_search_path=search_path)
        cfg = hydra.compose_config(config_name, overrides=[f"action={action}", *overrides], run_mode=RunMode.RUN,
                                   from_shell=False, with_log_configuration=False)
    finally:
        global_hydra.clear()
    assert isinstance(cfg, DictConfig)
    return cfg


def finish_run_config(cfg: DictConfig, output_dir: str | os.PathLike[str] | None = None,
                      new_run_dir: bool = True) -> DictConfig:
    """Give a composed config its run directory and Hydra config, then drop its ``hydra`` node.

    Args:
        cfg: a :func:`compose_config` result.
        output_dir: the run directory; None: a new one by the command line's rule
            (``hydra.run.dir``: ``<log_dir>/<task>/<action>/<run_name>/<time>``, or the latest run
            with ``resume=true``).
        new_run_dir: False (with no ``output_dir``): choose no run directory at all, for a
            config that is only looked at (``paths.output_dir`` then fails if used).

    Returns:
        The run config as the action's function receives it from the command line: no ``hydra``
        node, ``paths.output_dir`` and every other ``${hydra:...}`` value resolved.
    """
    from hydra.core.hydra_config import HydraConfig

    HydraConfig().set_config(cfg)  # the run directory may use ${hydra:runtime.choices...}
    if output_dir is None and not new_run_dir:
        with open_dict(cfg):
            del cfg["hydra"]
        apply_run_name(cfg)
        return cfg
    with read_write(cfg.hydra), open_dict(cfg):
        if output_dir is None:
            forget_run_dirs()  # each composed config is a run of its own, as each command is
            run_dir = str(Path(cfg.hydra.run.dir).resolve())
        else:
            run_dir = str(Path(output_dir).resolve())
            cfg.paths.log_dir = str(Path(run_dir).parent)
        cfg.hydra.run.dir = run_dir
        cfg.hydra.runtime.output_dir = run_dir
    HydraConfig().set_config(cfg)
    hydra_cfg = cfg.hydra
    with open_dict(cfg):
        del cfg["hydra"]
        _resolve_hydra_values(cfg)
    apply_run_name(cfg)  # the name its run directory was given (data=image_folder: image_folder_...)
    remember_hydra_config(cfg, hydra_cfg)
    return cfg


def _resolve_hydra_values(cfg: DictConfig) -> None:
    """Replace every ``${hydra:...}`` value (``paths.output_dir``, ssl's ``run_name``) by its value
    now, so the config keeps them when another config is composed."""
    def walk(node: Any, prefix: str) -> list[str]:
        keys = []
        if isinstance(node, dict):
            for key, value in node.items():
                keys += walk(value, f"{prefix}{key}.")
        elif isinstance(node, str) and "${hydra:" in node:
            keys.append(prefix[:-1])
        return keys

    for key in walk(OmegaConf.to_container(cfg, resolve=False), ""):
        OmegaConf.update(cfg, key, OmegaConf.select(cfg, key), merge=False)


def remember_hydra_config(cfg: DictConfig, hydra_cfg: DictConfig) -> None:
    """Keep ``hydra_cfg`` (choices, overrides) with ``cfg`` for :func:`hydra_config_of`."""
    key = id(cfg)
    _HYDRA_CONFIGS[key] = (weakref.ref(cfg), hydra_cfg)
    weakref.finalize(cfg, _HYDRA_CONFIGS.pop, key, None)


def hydra_config_of(cfg: DictConfig | None = None) -> DictConfig | None:
    """The Hydra config ``cfg`` was composed with (its choices and command-line overrides).

    Falls back to Hydra's current one (the command line's run, or the last composed config),
    and None outside Hydra.
    """
    entry = _HYDRA_CONFIGS.get(id(cfg)) if cfg is not None else None
    if entry is not None and entry[0]() is cfg:
        return entry[1]
    from hydra.core.hydra_config import HydraConfig

    return HydraConfig.get() if HydraConfig.initialized() else None


def _task_spec(task: str | TaskSpec) -> TaskSpec:
    if isinstance(task, TaskSpec):
        return task
    from nnframe.core.task_registry import discover_tasks

    tasks = discover_tasks()
    if task not in tasks:
        raise ConfigError(f"unknown task {task!r}; installed tasks: {', '.join(tasks) or 'none'} "
                          "(a task appears once its package, e.g. nnframe-seg, is installed)")
    return tasks[task]


def compose(task: str | TaskSpec, overrides: Iterable[str] = (), config_dir: str | os.PathLike[str] | None = None,
            action: str = "train") -> DictConfig:
    """The config ``nnframe <task> <action> [--config-dir DIR] <overrides>`` would run.

    Pass it to :func:`nnframe.core.train` (or ``evaluate``, ``predict``, ``export``, ``tune``,
    or a task's own function such as ``nnframe.ssl.linear_probe.linear_probe``).

    Args:
        task: a task name (``cls``, ``seg``, ``ssl``) or its :class:`TaskSpec`.
        overrides: Hydra overrides, as on the command line (``["experiment=cifar10_resnet18",
            "trainer.max_epochs=5"]``).
        config_dir: your own config folder (its ``data/``, ``experiment/``... files become
            options), as ``--config-dir``; None: ``$NNFRAME_CONFIG_DIR`` if set. Its parent folder
            and the current folder are put on ``sys.path``, so ``_target_`` finds your modules.
        action: the action the config is for (``train``, ``eval``, ``predict``, ``export``, ...):
            it chooses the primary config and the run directory ``outputs/<task>/<action>/...``.

    Returns:
        The composed config, its run directory (``paths.output_dir``) chosen (not created yet).

    Example:
        >>> from nnframe.core import compose, train
        >>> cfg = compose("cls", ["trainer.max_epochs=1"])
        >>> metrics = train(cfg)  # {"val/acc": ..., "test/acc": ...}
    """
    spec = _task_spec(task)
    if action in spec.refused_actions:
        raise ConfigError(f"nnframe {spec.name} {action}: {spec.refused_actions[action]}")
    if action not in spec.actions:
        raise ConfigError(f"unknown action {action!r} for task {spec.name!r}; choose one of: {', '.join(spec.actions)}")
    if isinstance(overrides, str):
        raise ConfigError(f"overrides must be a list of strings, e.g. [{overrides!r}], not one string")
    project_config_dir = use_project(config_dir)
    cfg = compose_config(spec.config_package, list(overrides), spec.actions[action].config_name, action,
                         project_config_dir)
    return finish_run_config(cfg)
