"""A completed run's ``run.json`` survives a resume that trains nothing: one refused by the
config, one whose checkpoint is truncated, one with nothing left to train."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

TINY = ["data.num_train=32", "data.num_val=16", "data.num_test=16", "data.image_size=16", "data.batch_size=16",
        "trainer.max_epochs=1", "trainer.accelerator=cpu"]


def _nnframe(outputs: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NNFRAME_OUTPUT_DIR": str(outputs), "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-m", "nnframe.core.cli", *args], capture_output=True, text=True,
                          timeout=300, env=env, cwd=outputs.parent)


def _attempts(run: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((run / "attempts").glob("*.json"))]


def test_failed_and_no_op_resumes_keep_the_completed_record(tmp_path: Path) -> None:
    outputs = tmp_path / "outputs"
    assert _nnframe(outputs, "cls", "train", *TINY).returncode == 0
    (run,) = (outputs / "cls" / "train" / "shapes").iterdir()
    completed = (run / "run.json").read_text()
    assert json.loads(completed)["status"] == "completed" and "test/acc" in json.loads(completed)["metrics"]

    refused = _nnframe(outputs, "cls", "train", *TINY, "resume=true", "trainer.max_epochs=0")
    assert refused.returncode == 2, refused.stderr[-2000:]
    assert (run / "run.json").read_text() == completed
    assert [a["status"] for a in _attempts(run)] == ["failed"]
    assert "trainer.max_epochs=0" in _attempts(run)[0]["error"]

    orphan = run / "checkpoints" / ".last.ckpt.k1ll3d.tmp"  # what a kill -9 during a write leaves
    orphan.write_bytes(b"half a checkpoint")
    nothing_left = _nnframe(outputs, "cls", "train", *TINY, "resume=true")  # max_epochs reached
    assert nothing_left.returncode == 0, nothing_left.stderr[-2000:]
    assert (run / "run.json").read_text() == completed
    assert not orphan.exists()  # cleaned up when the run started again

    last = run / "checkpoints" / "last.ckpt"
    last.write_bytes(last.read_bytes()[:1000])  # truncated (e.g. a copy cut short)
    truncated = _nnframe(outputs, "cls", "train", *TINY, "resume=true", "trainer.max_epochs=2")
    assert truncated.returncode != 0
    assert (run / "run.json").read_text() == completed
    assert [a["status"] for a in _attempts(run)][-1] == "failed"
    assert len(list((outputs / "cls" / "train" / "shapes").iterdir())) == 1


def test_a_resume_that_trains_on_replaces_the_record(tmp_path: Path) -> None:
    outputs = tmp_path / "outputs"
    assert _nnframe(outputs, "cls", "train", *TINY).returncode == 0
    (run,) = (outputs / "cls" / "train" / "shapes").iterdir()
    crashed = _nnframe(outputs, "cls", "train", *TINY, f"ckpt_path={run}/checkpoints/last.ckpt", f"hydra.run.dir={run}",
                       "trainer.max_epochs=3",
                       "+callbacks.crash._target_=nnframe.core.testing.CrashCallback", "+callbacks.crash.at_step=5")
    assert crashed.returncode == 1
    record = json.loads((run / "run.json").read_text())
    assert record["status"] == "failed" and "injected crash after step 5" in record["error"]


def test_a_moved_run_tests_its_best_checkpoint_at_the_new_place(tmp_path: Path) -> None:
    outputs = tmp_path / "outputs"
    assert _nnframe(outputs, "cls", "train", *TINY).returncode == 0
    moved = tmp_path / "moved"
    outputs.rename(moved)  # e.g. copied to another disk or machine
    (run,) = (moved / "cls" / "train" / "shapes").iterdir()

    resumed = _nnframe(moved, "cls", "train", *TINY, "resume=true")  # nothing left to train: tests the best
    output = resumed.stdout + resumed.stderr
    assert resumed.returncode == 0, output[-3000:]
    assert str(outputs) not in output.replace(str(moved), "")  # no path of the old place
    assert f"best checkpoint: {run / 'checkpoints' / 'epoch_000.ckpt'}" in output
