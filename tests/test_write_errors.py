"""Where a run cannot write: a one-line ``nnframe: error:`` with the fix, no traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TINY = ["data.num_train=32", "data.num_val=16", "data.num_test=16", "data.image_size=16", "data.batch_size=16",
        "trainer.max_epochs=1", "trainer.accelerator=cpu"]


def _nnframe(cwd: Path, *args: str) -> tuple[int, str]:
    env = {**os.environ, "NNFRAME_OUTPUT_DIR": str(cwd / "outputs"), "OMP_NUM_THREADS": "1",
           "PYTHONWARNINGS": "ignore"}
    done = subprocess.run([sys.executable, "-m", "nnframe.core.cli", *args], capture_output=True, text=True,
                          timeout=300, env=env, cwd=cwd)
    return done.returncode, done.stdout + done.stderr


def _one_line_error(code: int, output: str) -> str:
    assert code != 0 and "Traceback" not in output, output[-3000:]
    (line,) = [line for line in output.splitlines() if line.startswith("nnframe: error:")]
    return line


@pytest.fixture
def mount(tmp_path: Path):
    """``mount(options) -> folder``: a small tmpfs (root only), unmounted after the test."""
    mounted: list[Path] = []

    def make(options: str) -> Path:
        folder = tmp_path / f"mnt{len(mounted)}"
        folder.mkdir()
        if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                                               capture_output=True).returncode != 0:
            pytest.skip("cannot mount a tmpfs here (needs root)")
        mounted.append(folder)
        return folder

    yield make
    for folder in mounted:
        subprocess.run(["umount", str(folder)], capture_output=True)


def test_run_dir_on_a_file(tmp_path: Path) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x")
    for run_dir in (a_file, a_file / "run"):
        line = _one_line_error(*_nnframe(tmp_path, "cls", "train", *TINY, f"hydra.run.dir={run_dir}"))
        assert f"hydra.run.dir={run_dir}: {a_file} is a file" in line and "leave hydra.run.dir out" in line


def test_run_dir_in_a_read_only_place(tmp_path: Path, mount) -> None:
    if os.geteuid() == 0:
        read_only = mount("ro,size=64k")
    else:
        read_only = tmp_path / "read_only"
        read_only.mkdir(mode=0o555)
    line = _one_line_error(*_nnframe(tmp_path, "cls", "train", *TINY, f"hydra.run.dir={read_only}/run"))
    assert f"hydra.run.dir={read_only}/run" in line and "leave hydra.run.dir out" in line


@pytest.mark.slow
def test_a_full_disk_names_what_was_written_and_following_the_hint_works(tmp_path: Path, mount) -> None:
    small = mount("size=1m")  # room for the logs and events of a tiny run, not for a checkpoint
    line = _one_line_error(*_nnframe(tmp_path, "cls", "train", *TINY, f"paths.log_dir={small}"))
    assert "no space left on the device while writing the checkpoint" in line and str(small) in line
    assert "paths.log_dir=" in line
    (run,) = (small / "cls" / "train" / "shapes").iterdir()
    assert not list((run / "checkpoints").glob(".*.tmp"))  # no partial file left behind

    code, output = _nnframe(tmp_path, "cls", "train", *TINY, f"paths.log_dir={tmp_path / 'roomy'}")
    assert code == 0, output[-3000:]
    (run,) = (tmp_path / "roomy" / "cls" / "train" / "shapes").iterdir()
    assert json.loads((run / "run.json").read_text())["status"] == "completed"
