"""The ``nnframe`` command run in-process, as tests of its output need it."""

from __future__ import annotations

from typing import Any


def run_cli(capsys: Any, *argv: str) -> tuple[int, str]:
    """``nnframe <argv>`` through :func:`nnframe.core.cli.main`; returns the exit code and what it
    printed (stdout then stderr), read from pytest's ``capsys`` fixture."""
    from nnframe.core import cli

    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err
