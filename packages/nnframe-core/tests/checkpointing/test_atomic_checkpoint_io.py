"""A process killed while it writes a checkpoint leaves the old or the new file, never a torn one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import torch

# Rewrites `last.ckpt` with version 0, 1, 2, ... (64 MB each, long enough to be caught mid-write).
_WRITER = textwrap.dedent("""
    import sys, torch
    from nnframe.core.checkpointing import AtomicCheckpointIO
    path, io = sys.argv[1], AtomicCheckpointIO()
    for version in range(1000):
        io.save_checkpoint({"version": version, "data": torch.full((16_000_000,), float(version))}, path)
        print(version, flush=True)
""")


def test_kill_during_checkpoint_write_leaves_a_complete_file(tmp_path: Path) -> None:
    path = tmp_path / "last.ckpt"
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "0"  # an old file exists
        deadline = time.monotonic() + 60
        while not any(name.endswith(".tmp") for name in os.listdir(tmp_path)):  # the next write has begun
            assert time.monotonic() < deadline and writer.poll() is None
        os.kill(writer.pid, signal.SIGKILL)
    finally:
        writer.kill()
        writer.wait()

    assert [p.name for p in tmp_path.glob(".last.ckpt.*.tmp")]  # killed mid-write: the partial file is aside
    checkpoint = torch.load(path, weights_only=True)
    assert checkpoint["data"].shape == (16_000_000,)
    assert bool((checkpoint["data"] == checkpoint["version"]).all())
    assert oct(path.stat().st_mode & 0o777) != oct(0o600)  # the usual permissions, not mkstemp's 0600
