"""What the config stored in a checkpoint may build: ``_target_``s on an allow-list.

``eval``, ``predict`` and ``export`` rebuild the model and data from the config a checkpoint
carries, and Hydra's ``instantiate`` calls whatever ``_target_`` names: a checkpoint that loads
safely as data could still name ``torch.load`` or ``os.system`` there. So the whole tree is
walked before anything is imported or built; a target is allowed when

- it names something under nnframe, torch.nn, torch.optim, timm, segmentation_models_pytorch,
  lightly, torchvision or torchmetrics, or under a package of the user's project (run with
  ``--config-dir``: :func:`~nnframe.core.project_paths.project_packages`), or is
  ``functools.partial``;
- what it names is, once imported, defined there too (``torch.nn.modules.module.torch.load`` is
  ``torch.load``, defined in ``torch.serialization``);
- it is a class, or a function of nnframe's that nnframe's own configs name (transforms,
  schedules) or of the project: a library's functions (a loader, a file writer) are refused.

Configs the user composes on the command line are the user's own and are not checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from nnframe.core.errors import CheckpointError

#: Packages whose classes a checkpoint's config may build.
ALLOWED_TARGET_ROOTS = ("nnframe", "torch.nn", "torch.optim", "timm", "segmentation_models_pytorch", "lightly",
                        "torchvision", "torchmetrics")
#: Callables allowed by their full name.
ALLOWED_CALLABLES = ("functools.partial",)
_DOTTED = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")
_YAML_TARGET = re.compile(r"_target_:\s*([\w.]+)")
_CORE_CONFIGS = "nnframe.core.configs"


def _walk(node: Any, key: str) -> Iterator[tuple[str, Any, bool]]:
    """``(key path, value, is a _target_)`` of every ``_target_`` and every string under ``node``."""
    if isinstance(node, dict):
        for name, value in node.items():
            path = f"{key}.{name}" if key else str(name)
            if name == "_target_":
                yield path, value, True
            else:
                yield from _walk(value, path)
    elif isinstance(node, (list, tuple)):
        for index, value in enumerate(node):
            yield from _walk(value, f"{key}[{index}]")
    elif isinstance(node, str):
        yield key, node, False


def _under(name: str, roots: tuple[str, ...] | set[str]) -> bool:
    return any(name == root or name.startswith(f"{root}.") for root in roots)


def _yaml_files(folder: Traversable) -> Iterator[Traversable]:
    for entry in folder.iterdir():
        if entry.is_dir():
            yield from _yaml_files(entry)
        elif entry.name.endswith(".yaml"):
            yield entry


@cache
def shipped_target_names() -> frozenset[str]:
    """The ``_target_``s nnframe's own configs (core's and every installed task's) name, as written."""
    from nnframe.core.task_registry import discover_tasks

    packages = {_CORE_CONFIGS, *(spec.config_package for spec in discover_tasks().values())}
    return frozenset(target for package in packages for path in _yaml_files(files(package))
                     for target in _YAML_TARGET.findall(path.read_text()))


def _shipped_function(obj: Any) -> bool:
    """Whether ``obj`` is a function one of nnframe's own configs names (only the names ending
    in its name are imported: importing every task's targets would slow every command)."""
    import hydra

    name = getattr(obj, "__name__", None)
    for target in shipped_target_names():
        if name is None or target.rsplit(".", 1)[-1] != name:
            continue
        try:
            if hydra.utils.get_object(target) is obj:
                return True
        except Exception:  # an optional dependency that is not installed
            continue
    return False


def _refusal(key: str, target: Any, source: str | Path, why: str) -> CheckpointError:
    return CheckpointError(
        f"{key}={target} is not allowed in a checkpoint's config: {source} ({why}); a checkpoint may build only "
        f"classes of {', '.join(ALLOWED_TARGET_ROOTS)}, nnframe's transforms and schedules, and your project's "
        "own (run with --config-dir <your project>/configs)"
    )


def check_config_targets(config: dict[str, Any], source: str | Path) -> None:
    """Raise :class:`CheckpointError` unless everything ``config`` would build is allowed (see
    the module's docstring). The whole tree is read before anything is imported.

    Args:
        config: part of a checkpoint's stored config, as plain containers (``{"model": {...}}``).
        source: the checkpoint, for the message.

    Raises:
        CheckpointError: naming the key path, the target and the checkpoint.
    """
    from nnframe.core.project_paths import project_packages

    project = project_packages()
    roots = (*ALLOWED_TARGET_ROOTS, *sorted(project))
    targets = []
    for key, value, is_target in _walk(config, ""):
        if isinstance(value, str) and "${" in value:
            # Stored configs are resolved when saved; an interpolation (oc.create, ...) could
            # build a node after this check.
            raise _refusal(key, value, source, "an interpolation")
        if not is_target:
            continue
        if not isinstance(value, str) or not _DOTTED.fullmatch(value):
            raise _refusal(key, value, source, "not a dotted name")
        if value not in ALLOWED_CALLABLES and not _under(value, roots):
            raise _refusal(key, value, source, "outside the allowed packages")
        targets.append((key, value))
    if not targets:
        return
    import hydra

    for key, target in targets:
        if target in ALLOWED_CALLABLES:
            continue
        try:
            obj = hydra.utils.get_object(target)
        except Exception:  # building it fails the same way, with Hydra's message
            continue
        module = getattr(obj, "__module__", None) or ""
        if not _under(module, roots):
            raise _refusal(key, target, source, f"it is {module}.{getattr(obj, '__qualname__', '?')}")
        if isinstance(obj, type) or _under(module, project) or _shipped_function(obj):
            continue
        raise _refusal(key, target, source, "a function that nnframe's configs do not use")
