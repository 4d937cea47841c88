"""Settings for every test of the workspace."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="session")
def _nnframe_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Point nnframe's cache (file-probe results, generated data) at a temporary folder, so tests
    neither read nor fill the user's ``~/.cache/nnframe``; subprocesses inherit it."""
    previous = os.environ.get("NNFRAME_CACHE_DIR")
    os.environ["NNFRAME_CACHE_DIR"] = str(tmp_path_factory.mktemp("nnframe_cache"))
    yield
    if previous is None:
        os.environ.pop("NNFRAME_CACHE_DIR", None)
    else:
        os.environ["NNFRAME_CACHE_DIR"] = previous


_SOURCE_SUFFIXES = (".py", ".md", ".yaml", ".yml", ".toml", ".tmpl", ".txt", ".json", ".cfg")
_TOOL_FILES = ("__pycache__", ".pytest_cache", ".ruff_cache", ".venv", ".egg-info")  # Python's, pytest's, uv's


def _checkout_status() -> set[str] | None:
    """``git status --porcelain --ignored`` of the checkout (ignored files too: ``outputs/`` is
    ignored, yet a test that writes there leaves the user's checkout dirty); None outside git."""
    import subprocess
    from pathlib import Path

    try:
        done = subprocess.run(["git", "status", "--porcelain", "--ignored"], capture_output=True, text=True,
                              cwd=Path(__file__).parent, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    # New and ignored files only: tracked files and new source files are someone editing the
    # checkout while the tests run, not the tests' output.
    status = {line for line in done.stdout.splitlines() if line[:2] in ("??", "!!")
              and not line.rstrip("/").endswith(_SOURCE_SUFFIXES) and not any(part in line for part in _TOOL_FILES)}
    # git lists no empty folder (e.g. outputs/cls/train/<run name>/ that composing a config made)
    root = Path(__file__).parent
    for folder, subfolders, _ in os.walk(root):
        depth = len(Path(folder).relative_to(root).parts)  # run folders sit 3 deep (outputs/<task>/<action>/)
        subfolders[:] = [d for d in subfolders if depth < 4 and d not in (".git", "data")
                         and not any(part in d for part in _TOOL_FILES)]
        status.update(f"dir {Path(folder, d).relative_to(root)}" for d in subfolders)
    return status


@pytest.fixture(autouse=True, scope="session")
def _checkout_left_clean() -> Iterator[None]:
    """The tests' runs, demos and figures go to temporary folders: after the session the checkout's
    ``git status`` (ignored files included) is what it was before."""
    before = _checkout_status()
    yield
    after = _checkout_status()
    if before is not None and after is not None:
        assert after <= before, f"the tests left files in the checkout: {sorted(after - before)}"
