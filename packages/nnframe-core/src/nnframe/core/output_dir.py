"""Checking that runs can be written where the config says (no torch import: the CLI uses it)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from nnframe.core.errors import ConfigError


def ensure_writable_dir(path: str | Path, what: str = "output directory", create: bool = True) -> Path:
    """Create ``path`` if needed and check that a file can be written in it.

    Args:
        create: False: only check that it could be created (a file can be written in its nearest
            existing folder), e.g. when a config is only composed and no run may start: composing
            leaves no empty folders behind.

    Raises:
        ConfigError: naming the folder, the reason, and how to choose another one.
    """
    path = Path(path)
    try:
        probe_dir = path
        if create:
            path.mkdir(parents=True, exist_ok=True)
        else:
            while not probe_dir.exists() and probe_dir.parent != probe_dir:
                probe_dir = probe_dir.parent
        fd, probe = tempfile.mkstemp(dir=probe_dir, prefix=".nnframe-write-test-")
        os.close(fd)
        os.unlink(probe)
    except OSError as error:
        raise ConfigError(
            f"cannot write to the {what} {path}: {error.strerror or error}. Choose a writable folder with "
            "paths.log_dir=/path/to/outputs (or the NNFRAME_OUTPUT_DIR environment variable)"
        ) from error
    return path


def in_run_dir(path: str | Path, run_dir: str | Path) -> Path:
    """``path`` as given if absolute, else inside the run directory (``export.output=backbone.pt``
    writes ``<run dir>/backbone.pt``, not into whatever folder the command was started from).
    Always absolute: the commands print it for the next command, which may run from elsewhere."""
    return (Path(run_dir) / Path(path).expanduser()).absolute()
