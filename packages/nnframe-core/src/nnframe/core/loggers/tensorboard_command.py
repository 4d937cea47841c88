"""The TensorBoard command to print after a run: one that works where the user is.

``uv run tensorboard`` works only inside a uv project ("Failed to spawn: tensorboard" from an
``nnframe init`` project or a pip install); plain ``tensorboard`` only where this environment's
script is first on ``PATH`` (an activated virtual environment).
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path


def _in_uv_project(folder: Path) -> bool:
    """``folder`` or a parent holds a ``uv.lock`` (``uv run`` then finds the project)."""
    return any((parent / "uv.lock").is_file() for parent in (folder, *folder.parents))


def tensorboard_command(logdir: str | Path, cwd: str | Path | None = None) -> str:
    """``tensorboard --logdir <logdir>`` as the user can run it from ``cwd`` (default: here).

    Plain ``tensorboard`` when the one on ``PATH`` is this environment's; ``uv run tensorboard``
    inside a uv project whose environment this is; else this environment's script by its path.
    """
    here = Path(cwd or os.getcwd()).resolve()
    script = Path(sys.executable).parent / ("tensorboard.exe" if os.name == "nt" else "tensorboard")
    found = shutil.which("tensorboard")
    tail = ["--logdir", str(logdir)]
    if found and script.is_file() and Path(found).resolve() == script.resolve():
        words = ["tensorboard", *tail]
    elif shutil.which("uv") and _in_uv_project(here) and Path(sys.prefix).resolve().is_relative_to(
            _project_root(here)):
        words = ["uv", "run", "tensorboard", *tail]
    elif script.is_file():
        words = [str(script), *tail]
    else:
        words = [sys.executable, "-m", "tensorboard.main", *tail]
    return shlex.join(words)


def _project_root(folder: Path) -> Path:
    return next(parent for parent in (folder, *folder.parents) if (parent / "uv.lock").is_file())
