"""OmegaConf resolvers nnframe configs use; registered before any config is composed."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from omegaconf import OmegaConf

from nnframe.core.errors import ConfigError
from nnframe.core.output_dir import ensure_writable_dir

LAST_CHECKPOINT = Path("checkpoints") / "last.ckpt"
_run_dirs: dict[tuple[str, bool], str] = {}
_handed_out: set[str] = set()  # new run directories named in this process (maybe not created yet)
_exit_on_error = False  # set by the command line: print a user error and exit instead of raising


def latest_run_dir(base: str | Path) -> Path | None:
    """The newest run directory under ``base`` that holds ``checkpoints/last.ckpt``, if any."""
    base = Path(base)
    if not base.is_dir():
        return None
    runs = [d for d in base.iterdir() if d.is_dir() and (d / LAST_CHECKPOINT).is_file()]
    return max(runs, key=lambda d: (d / LAST_CHECKPOINT).stat().st_mtime, default=None)


def _check_writable(base: str) -> None:
    """A clear message now, rather than Hydra's traceback when it fails to create the run dir."""
    try:
        ensure_writable_dir(base, "output folder")
    except ConfigError as error:
        if not _exit_on_error:
            raise
        print(f"nnframe: error: {error}", file=sys.stderr)
        raise SystemExit(2) from None  # OmegaConf and Hydra wrap exceptions, not SystemExit


def run_dir(base: str, resume: bool = False) -> str:
    """Directory of this run: a new timestamped one, or with ``resume`` the latest resumable one.

    The answer is cached per process, so every place that resolves it sees the same directory.
    """
    key = (str(base), bool(resume))
    if key not in _run_dirs:
        _check_writable(base)
        previous = latest_run_dir(base) if resume else None
        if previous is not None:
            _run_dirs[key] = str(previous)
        else:
            stamp = time.strftime("%Y-%m-%d_%H-%M-%S")
            candidate, n = Path(base) / stamp, 1
            while candidate.exists() or str(candidate) in _handed_out:  # two runs within the same second
                candidate, n = Path(base) / f"{stamp}_{n}", n + 1
            _run_dirs[key] = str(candidate)
            _handed_out.add(str(candidate))
    return _run_dirs[key]


def forget_run_dirs() -> None:
    """Let the next run directory be a new one: the Python API composes several runs in one
    process (the command line resolves one per process, cached by :func:`run_dir`)."""
    _run_dirs.clear()


def register_resolvers(exit_on_error: bool = False) -> None:
    """Register nnframe's resolvers once (idempotent).

    Args:
        exit_on_error: for the command line: a resolver that finds a user error prints it
            and exits with code 2 (instead of an exception that Hydra prints with a traceback).
    """
    global _exit_on_error
    _exit_on_error = _exit_on_error or exit_on_error
    if not OmegaConf.has_resolver("nnframe.run_dir"):
        OmegaConf.register_new_resolver("nnframe.run_dir", run_dir)
    if not OmegaConf.has_resolver("nnframe.cwd"):
        # Not ${hydra:runtime.cwd}: a sweeper resolves the sweep directory before Hydra's
        # runtime config exists, and ${oc.env:VAR,default} resolves its default even when VAR is set.
        OmegaConf.register_new_resolver("nnframe.cwd", os.getcwd)
