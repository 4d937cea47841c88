"""A CPU run on a busy machine says to set OMP_NUM_THREADS=1; on an idle one, or with the variable set, nothing."""

from __future__ import annotations

import pytest

from nnframe.core.training.thread_advice import busy_machine_note


def test_a_busy_machine_gets_the_variable_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    note = busy_machine_note(threads=2, load=8.2, cores=2)
    assert note is not None and "load 8.2 on 2 cores" in note and "OMP_NUM_THREADS=1" in note
    assert busy_machine_note(threads=2, load=0.5, cores=2) is None  # idle: torch's threads are right
    assert busy_machine_note(threads=1, load=8.2, cores=2) is None  # already one thread


def test_following_the_note_silences_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert busy_machine_note(threads=2, load=8.2, cores=2) is None
