"""Your own project's configs and code: the config dir and the folders ``_target_`` imports from.

``nnframe <task> <action> --config-dir DIR`` (or ``NNFRAME_CONFIG_DIR=DIR``) adds ``DIR`` to the
config search path: its ``data/``, ``model/``, ``experiment/``, ... files become options of those
groups. The folder holding ``DIR`` (the project root) and the current folder go on ``sys.path``,
so the project's Python modules are found by ``_target_`` without setting ``PYTHONPATH``. They go
at the end, after the installed packages: a ``rich.py`` or ``torchmetrics.py`` in a downloaded
model folder is never imported in place of the library it is named after. The project root's
packages are also the only ones beside nnframe's and its libraries' that a checkpoint's stored
config may build (:func:`project_packages`). Nothing here imports hydra or torch.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from nnframe.core.errors import ConfigError

CONFIG_DIR_ENV = "NNFRAME_CONFIG_DIR"
CONFIG_DIR_FLAGS = ("--config-dir", "-cd")


def config_dir_from_flags(flags: list[str]) -> str | None:
    """The value of ``--config-dir``/``-cd`` in Hydra flags (``--config-dir DIR`` or ``--config-dir=DIR``)."""
    found = None
    for index, flag in enumerate(flags):
        name, equals, value = flag.partition("=")
        if name in CONFIG_DIR_FLAGS:
            found = value if equals else (flags[index + 1] if index + 1 < len(flags) else None)
    return found


def resolve_config_dir(config_dir: str | os.PathLike[str] | None) -> Path | None:
    """The absolute config dir: ``config_dir``, else ``$NNFRAME_CONFIG_DIR``, else None.

    Raises:
        ConfigError: the folder does not exist (naming where it was given and the absolute path).
    """
    source = "--config-dir"
    if config_dir is None or str(config_dir) == "":
        config_dir = os.environ.get(CONFIG_DIR_ENV) or None
        source = CONFIG_DIR_ENV
    if config_dir is None:
        return None
    path = Path(config_dir).expanduser().resolve()
    if not path.is_dir():
        fix = (f"set {CONFIG_DIR_ENV} to the folder that holds your data/, model/, experiment/ configs, or "
               "unset it" if source == CONFIG_DIR_ENV else
               "give the folder that holds your data/, model/, experiment/ configs (--config-dir configs "
               "from the folder `nnframe init` wrote, or its full path)")
        raise ConfigError(f"{source}={config_dir}: no such folder ({path}): {fix}")
    return path


def project_import_dirs(config_dir: Path | None) -> list[Path]:
    """Folders the project's modules are imported from: the config dir's parent, then the
    current folder."""
    dirs = [config_dir.parent] if config_dir is not None else []
    cwd = Path.cwd().resolve()
    return dirs if cwd in dirs else [*dirs, cwd]


_project_roots: list[Path] = []  # the roots of the config dirs this process uses


def use_project(config_dir: str | os.PathLike[str] | None) -> Path | None:
    """Resolve the config dir and make the project importable; returns the config dir.

    The folders go at the end of ``sys.path``: the project's own modules are found, but one
    named like an installed package (``rich.py``) cannot shadow it.

    Args:
        config_dir: the given config dir (None: ``$NNFRAME_CONFIG_DIR``, else none).
    """
    path = resolve_config_dir(config_dir)
    if path is not None and path.parent not in _project_roots:
        _project_roots.append(path.parent)
    for folder in project_import_dirs(path):
        entry = str(folder)
        if entry not in sys.path:
            sys.path.append(entry)  # after site-packages: installed packages win
    return path


def project_packages() -> set[str]:
    """The top-level packages and modules of the projects whose config dir this process uses
    (``--config-dir``, ``$NNFRAME_CONFIG_DIR`` or ``compose(config_dir=...)``): the names a
    checkpoint's config may import beside nnframe's and its libraries'. The current folder alone
    is not a project (a downloaded model folder would be one)."""
    roots = list(_project_roots)
    from_env = os.environ.get(CONFIG_DIR_ENV)
    if from_env and Path(from_env).expanduser().is_dir():
        roots.append(Path(from_env).expanduser().resolve().parent)
    names = set()
    for root in roots:
        for entry in root.iterdir():
            if entry.is_dir() and (entry / "__init__.py").is_file() and entry.name.isidentifier():
                names.add(entry.name)
            elif entry.suffix == ".py" and entry.stem.isidentifier():
                names.add(entry.stem)
    return names


class EnvironmentChange:
    """One environment variable set for a while; :meth:`restore` puts the old value back."""

    def __init__(self, name: str, value: str | None) -> None:
        self.name, self.previous = name, os.environ.get(name)
        if value is not None:
            os.environ[name] = value

    def restore(self) -> None:
        if self.previous is None:
            os.environ.pop(self.name, None)
        else:
            os.environ[self.name] = self.previous


def project_hydra_flags(flags: list[str]) -> tuple[list[str], EnvironmentChange]:
    """The command line's Hydra flags with the project's config dir: ``--config-dir`` made
    absolute, or added from ``NNFRAME_CONFIG_DIR``; the project made importable (see
    :func:`use_project`).

    Returns:
        The flags, and ``NNFRAME_CONFIG_DIR`` set to the config dir for the processes the run
        starts (DDP workers re-run the command line without a sweep's flags): restore it after.

    Raises:
        ConfigError: the config dir does not exist.
    """
    kept: list[str] = []
    skip_next = False
    for flag in flags:
        if skip_next:
            skip_next = False
            continue
        name, equals, _ = flag.partition("=")
        if name in CONFIG_DIR_FLAGS:
            skip_next = not equals
            continue
        kept.append(flag)
    path = use_project(config_dir_from_flags(flags))
    if path is None:
        return kept, EnvironmentChange(CONFIG_DIR_ENV, None)
    return [*kept, "--config-dir", str(path)], EnvironmentChange(CONFIG_DIR_ENV, str(path))
