"""The ``nnframe`` command in a new process, as a user runs it (its output is not a terminal)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_nnframe(*args: str, cwd: Path, outputs: Path | None = None, timeout: float = 600,
                check: bool = True, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``nnframe <args>`` in ``cwd``, its runs under ``outputs`` (default ``cwd/outputs``).

    Args:
        check: assert the command succeeded, with the end of its output in the message.
        env: variables added to this process's environment.
    """
    environment = {**os.environ, "PYTHONWARNINGS": "ignore", "COLUMNS": "200", "OMP_NUM_THREADS": "1",
                   "NNFRAME_OUTPUT_DIR": str(outputs or cwd / "outputs"), **(env or {})}
    done = subprocess.run([sys.executable, "-m", "nnframe.core.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env=environment, cwd=cwd)
    if check:
        assert done.returncode == 0, f"nnframe {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done
