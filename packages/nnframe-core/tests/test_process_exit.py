"""The exit without the interpreter's teardown keeps what a normal exit does outside the process."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from nnframe.core import process_exit

SCRIPT = textwrap.dedent("""
    import atexit, sys, threading, time
    from pathlib import Path
    from nnframe.core.process_exit import exit_now

    out = Path(sys.argv[1])
    unflushed = open(out / "unflushed.txt", "w")  # buffered, never closed
    unflushed.write("all of it\\n" * 1000)
    atexit.register(lambda: (out / "atexit.txt").write_text("ran"))

    def late_writer():
        time.sleep(0.3)
        (out / "thread.txt").write_text("done")

    threading.Thread(target=late_writer).start()  # not a daemon: the exit waits for it
    print("printed, not flushed", end="")
    exit_now(3)
""")


def test_exit_now_keeps_the_exit_code_files_atexit_handlers_and_threads(tmp_path: Path) -> None:
    script = tmp_path / "leave.py"
    script.write_text(SCRIPT)
    result = subprocess.run([sys.executable, str(script), str(tmp_path)], capture_output=True, text=True,
                            timeout=120, env={**os.environ, "PYTHONUNBUFFERED": ""})
    assert result.returncode == 3, result.stderr
    assert result.stdout == "printed, not flushed"
    assert (tmp_path / "unflushed.txt").read_text() == "all of it\n" * 1000
    assert (tmp_path / "atexit.txt").read_text() == "ran"
    assert (tmp_path / "thread.txt").read_text() == "done"


def test_the_nnframe_command_exits_with_its_code_through_it(tmp_path: Path) -> None:
    command = Path(sys.executable).with_name("nnframe")
    ok = subprocess.run([str(command), "list", "cls"], capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0 and "experiment" in ok.stdout
    bad = subprocess.run([str(command), "no_such_task"], capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "unknown task 'no_such_task'" in bad.stderr


@pytest.mark.parametrize(("env", "allowed"), [
    ({}, True),
    ({"WORLD_SIZE": "1"}, True),
    ({"WORLD_SIZE": "2"}, False),                     # a rank of a distributed run
    ({process_exit.NORMAL_EXIT_VARIABLE: "1"}, False),
])
def test_the_fast_exit_is_left_to_single_processes(monkeypatch: pytest.MonkeyPatch, env: dict[str, str],
                                                   allowed: bool) -> None:
    for name in ("WORLD_SIZE", process_exit.NORMAL_EXIT_VARIABLE):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert process_exit.fast_exit_allowed() is allowed


@pytest.mark.parametrize(("world_size", "fast"), [("1", True), ("2", False)])
def test_the_console_script_leaves_through_exit_now_unless_distributed(monkeypatch: pytest.MonkeyPatch,
                                                                       world_size: str, fast: bool) -> None:
    from nnframe.core import cli

    left: list[int] = []

    def record(code: int) -> None:
        left.append(code)
        raise SystemExit(code)  # instead of os._exit, which would end pytest

    monkeypatch.setattr(process_exit, "exit_now", record)
    monkeypatch.delenv(process_exit.NORMAL_EXIT_VARIABLE, raising=False)
    monkeypatch.setenv("WORLD_SIZE", world_size)
    monkeypatch.setattr(sys, "argv", ["nnframe", "no_such_task"])
    with pytest.raises(SystemExit) as stop:
        cli.console_main()
    assert stop.value.code == 2  # the command's own exit code either way
    assert left == ([2] if fast else [])
