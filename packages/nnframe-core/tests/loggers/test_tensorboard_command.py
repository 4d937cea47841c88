"""The TensorBoard command a run prints works where the user runs it: followed word for word
(with ``--version_tb``, which prints the version instead of serving) from a folder outside any uv
project with this environment not on PATH, from the workspace, and with the environment active."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from nnframe.core.loggers.tensorboard_command import tensorboard_command

WORKSPACE = Path(__file__).resolve().parents[4]
BIN = str(Path(sys.executable).parent)


def _follow(command: str, cwd: Path, path: str) -> None:
    done = subprocess.run([*shlex.split(command), "--version_tb"], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "PATH": path}, timeout=120)
    assert done.returncode == 0, (command, done.stdout + done.stderr)


def _without_env(path: str) -> str:
    return os.pathsep.join(p for p in path.split(os.pathsep) if Path(p).resolve() != Path(BIN).resolve())


def test_outside_a_uv_project_the_environments_own_tensorboard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _without_env(os.environ["PATH"])
    monkeypatch.setenv("PATH", path)
    command = tensorboard_command(tmp_path / "runs", cwd=tmp_path)
    assert not command.startswith("uv run") and command.split()[0] != "tensorboard"
    _follow(command, tmp_path, path)


def test_in_the_workspace_uv_run(monkeypatch: pytest.MonkeyPatch) -> None:
    if not (WORKSPACE / "uv.lock").is_file() or not Path(sys.prefix).resolve().is_relative_to(WORKSPACE):
        pytest.skip("not run from the workspace's own environment")
    path = _without_env(os.environ["PATH"])
    monkeypatch.setenv("PATH", path)
    command = tensorboard_command("outputs", cwd=WORKSPACE)
    if "uv" not in command:
        pytest.skip("uv is not on PATH")
    assert command.startswith("uv run tensorboard --logdir")
    _follow(command, WORKSPACE, path)


def test_with_the_environment_active_plain_tensorboard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = os.pathsep.join([BIN, os.environ["PATH"]])
    monkeypatch.setenv("PATH", path)
    command = tensorboard_command(tmp_path / "runs", cwd=tmp_path)
    assert command.startswith("tensorboard --logdir")
    _follow(command, tmp_path, path)
