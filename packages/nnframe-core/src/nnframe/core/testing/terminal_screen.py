"""Running a command in a pseudo-terminal, and reading what the terminal then shows, line by line.

It renders what Rich and Lightning write: text, ``\\r``, ``\\n``, ``\\b``, the cursor moves
``ESC[nA/B/C/D/G``, erasing (``ESC[K``, ``ESC[2K``, ``ESC[J``) and ignores colours, modes and OSC
sequences (hyperlinks). Lines that scroll off the top are kept, so the whole run can be read as
someone scrolling back through it would.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import termios
import time
from collections.abc import Mapping, Sequence

_CSI = re.compile(r"\x1b\[([0-9;?]*)([A-Za-z])")
_OSC = re.compile(r"\x1b\][^\x07\x1b]*(\x07|\x1b\\)")
_OTHER_ESC = re.compile(r"\x1b[()][A-Za-z0-9]|\x1b[=>78]")


def render_screen(output: str, columns: int = 120) -> list[str]:
    """The lines a ``columns``-wide terminal shows (with its scrollback) after ``output``."""
    output = _OTHER_ESC.sub("", _OSC.sub("", output))
    lines: list[list[str]] = [[]]
    row = col = 0

    def put(char: str) -> None:
        nonlocal row, col
        if col >= columns:  # auto-wrap onto the next line
            row, col = row + 1, 0
            if row == len(lines):
                lines.append([])
        line = lines[row]
        line.extend(" " * (col - len(line) + 1) if col >= len(line) else "")
        line[col] = char
        col += 1

    position = 0
    while position < len(output):
        char = output[position]
        if char == "\x1b":
            match = _CSI.match(output, position)
            if match is None:
                position += 1
                continue
            params, command = match.group(1), match.group(2)
            number = int(params) if params.isdigit() else None
            if command == "A":
                row = max(row - (number or 1), 0)
            elif command == "B":
                row += number or 1
                lines.extend([] for _ in range(row - len(lines) + 1))
            elif command == "C":
                col += number or 1
            elif command == "D":
                col = max(col - (number or 1), 0)
            elif command == "G":
                col = (number or 1) - 1
            elif command == "K":
                line = lines[row]
                if number == 2:
                    line.clear()
                elif number == 1:
                    line[:col] = " " * min(col, len(line))
                else:
                    del line[col:]
            elif command == "J" and (number or 0) == 0:
                del lines[row][col:]
                del lines[row + 1:]
            position = match.end()
            continue
        if char == "\r":
            col = 0
        elif char == "\n":
            row, col = row + 1, 0
            if row == len(lines):
                lines.append([])
        elif char == "\b":
            col = max(col - 1, 0)
        elif char >= " ":
            put(char)
        position += 1
    return ["".join(line).rstrip() for line in lines]


def run_in_terminal(command: Sequence[str], columns: int = 120, rows: int = 40, timeout: float = 300,
                    env: Mapping[str, str] | None = None, cwd: str | os.PathLike[str] | None = None,
                    ) -> tuple[int, str]:
    """Run ``command`` with its stdout and stderr on a pseudo-terminal of ``columns`` x ``rows``
    (as in a user's terminal: Rich draws its live bars, colours on).

    Returns:
        ``(exit code, everything written)``; render it with :func:`render_screen`.
    """
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    environment = {**(env if env is not None else os.environ), "COLUMNS": str(columns), "LINES": str(rows),
                   "TERM": "xterm-256color"}
    for name in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        environment.pop(name, None)
    process = subprocess.Popen(list(command), stdin=child, stdout=child, stderr=child, env=environment, cwd=cwd,
                               close_fds=True)
    os.close(child)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], 0.5)
            if ready:
                try:
                    data = os.read(main, 65536)
                except OSError:  # the child closed the terminal (EIO on Linux)
                    break
                if not data:
                    break
                chunks.append(data)
            elif process.poll() is not None:
                break
        else:
            process.kill()
        code = process.wait(timeout=30)
    finally:
        os.close(main)
    return code, b"".join(chunks).decode("utf-8", errors="replace")
