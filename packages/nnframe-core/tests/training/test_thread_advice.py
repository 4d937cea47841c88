"""A CPU run on a busy machine says to set OMP_NUM_THREADS=1; on an idle one, or with the variable set, nothing."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from nnframe.core.training.thread_advice import busy_machine_note


def test_a_busy_machine_gets_the_variable_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    note = busy_machine_note(threads=2, load=8.2, cores=2)
    assert note is not None and "load 8.2 on 2 cores" in note and "OMP_WAIT_POLICY=PASSIVE" in note
    assert busy_machine_note(threads=2, load=0.5, cores=2) is None  # idle: torch's threads are right
    assert busy_machine_note(threads=1, load=8.2, cores=2) is None  # already one thread


@pytest.mark.parametrize("variable, value", [("OMP_WAIT_POLICY", "PASSIVE"), ("OMP_NUM_THREADS", "1")])
def test_following_the_note_silences_it(variable: str, value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    monkeypatch.setenv(variable, value)
    assert busy_machine_note(threads=2, load=8.2, cores=2) is None


def test_the_nnframe_command_makes_idle_threads_sleep() -> None:
    """Set before torch loads OpenMP; a value the user gives is kept."""
    code = "import os; from nnframe.core.cli import main; main(['--help']); print(os.environ['OMP_WAIT_POLICY'])"
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.stdout.strip().endswith("PASSIVE"), done.stdout + done.stderr
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**env, "OMP_WAIT_POLICY": "ACTIVE"})
    assert done.stdout.strip().endswith("ACTIVE"), done.stdout + done.stderr
