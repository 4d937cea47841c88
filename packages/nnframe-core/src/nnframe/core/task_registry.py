"""Finds installed task packages through the ``nnframe.tasks`` entry-point group.

Installing a task package (``nnframe-cls``, ...) is all it takes to add its task to the
command line. Nothing here imports torch.
"""

from __future__ import annotations

import importlib.metadata
import warnings
from importlib.resources import files
from pathlib import Path
from typing import Any

from nnframe.core.task_spec import ENTRY_POINT_GROUP, TaskSpec

CORE_CONFIG_PACKAGE = "nnframe.core.configs"


def discover_tasks() -> dict[str, TaskSpec]:
    """Return the installed tasks, keyed by name, in name order."""
    tasks: dict[str, TaskSpec] = {}
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            spec = entry_point.load()
        except Exception as error:  # one broken task package must not hide the others
            warnings.warn(f"cannot load nnframe task {entry_point.name!r} ({entry_point.value}): {error}",
                          stacklevel=2)
            continue
        if not isinstance(spec, TaskSpec):
            warnings.warn(f"entry point {entry_point.value!r} is not a TaskSpec; ignored", stacklevel=2)
            continue
        tasks[spec.name] = spec
    return dict(sorted(tasks.items()))


def config_groups(task: TaskSpec, config_dir: Path | None = None) -> dict[str, list[str]]:
    """Options of every config group a task sees: its own groups, a ``--config-dir``'s, and core's.

    Returns:
        group name -> sorted option names (YAML file stems), task groups first.
    """
    groups: dict[str, set[str]] = {}
    roots = [files(task.config_package), *([config_dir] if config_dir is not None else []),
             files(CORE_CONFIG_PACKAGE)]
    for root in roots:
        for group_dir in sorted(root.iterdir(), key=lambda p: p.name):
            if not group_dir.is_dir() or group_dir.name.startswith(("_", ".")):
                continue
            options = groups.setdefault(group_dir.name, set())
            options.update(path.name[: -len(".yaml")] for path in group_dir.iterdir()
                           if path.name.endswith(".yaml") and not _is_base_file(path))
    return {name: sorted(options) for name, options in groups.items()}


def _is_base_file(path: Any) -> bool:
    """Whether a config file is what other options of its group build on, not an option itself:
    its name starts with ``_`` (``bench/_defaults``: the keys every suite shares) or its first
    comment says ``# Base of ...`` (``debug/default``: what every debug config starts from)."""
    return path.name.startswith("_") or any(line.startswith("# Base of") for line in path.read_text().splitlines()[:3])
