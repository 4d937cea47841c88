"""``nnframe cls train cv.folds=3`` through the real command: one run per fold, mean +- std at the
end, and a cross-validation stopped in fold 1 continued by the command it prints."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

import pytest
import torch

from nnframe.core.testing.nnframe_process import run_nnframe

pytestmark = pytest.mark.slow

# Small, nothing switched off (default callbacks, loggers, progress bar).
TINY = ["data.num_train=192", "data.num_val=32", "data.num_test=32", "data.image_size=16", "data.batch_size=32",
        "trainer.max_epochs=2"]


def _nnframe(outputs: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_nnframe(*args, cwd=outputs.parent, outputs=outputs, check=False)


def _fold_val_sizes(output: str) -> list[int]:
    return [int(line.split(" training and ")[1].split()[0]) for line in output.splitlines()
            if line.startswith("cross-validation fold ") and " training and " in line]


def test_cv_folds_trains_one_run_per_fold_and_reports_mean_and_std(tmp_path: Path) -> None:
    outputs = tmp_path / "outputs"
    done = _nnframe(outputs, "cls", "train", "cv.folds=3", *TINY)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    (run_dir,) = (outputs / "cls" / "train" / "shapes").iterdir()
    assert _fold_val_sizes(output) == [64, 64, 64]  # the 192 training images, each validated once
    for fold in range(3):
        fold_dir = run_dir / f"fold_{fold}"
        assert json.loads((fold_dir / "run.json").read_text())["status"] == "completed"
        assert (fold_dir / "checkpoints" / "last.ckpt").is_file()
        assert list(fold_dir.rglob("events.out.tfevents.*")), f"no TensorBoard run in {fold_dir}"
    summary = json.loads((run_dir / "cv.json").read_text())["metrics"]
    accuracies = summary["val/acc"]["folds"]
    assert len(accuracies) == 3 and summary["val/acc"]["mean"] == pytest.approx(sum(accuracies) / 3)
    table = output[output.index("cross-validation, 3 folds:"):]
    assert f"val/acc        {summary['val/acc']['mean']:.4f} +- {summary['val/acc']['std']:.4f}" in table
    assert "test/acc" in table
    record = json.loads((run_dir / "run.json").read_text())  # what `nnframe runs` lists
    assert record["metrics"]["val/acc"] == pytest.approx(summary["val/acc"]["mean"])
    assert record["metrics"]["val/acc_std"] == pytest.approx(summary["val/acc"]["std"])
    assert list((run_dir / "summary").glob("events.out.tfevents.*"))  # the table as TensorBoard text


def test_a_stopped_cross_validation_continues_with_the_printed_command(tmp_path: Path) -> None:
    outputs = tmp_path / "outputs"
    # Ctrl-C at step 3 of fold 1 only: folds 0 and 2 find their once-file already there.
    once = tmp_path / "once"
    for fold in (0, 2):
        Path(f"{once}_{fold}").touch()
    stop = ["+callbacks.stop._target_=nnframe.core.testing.SignalCallback", "+callbacks.stop.signal=SIGINT",
            "+callbacks.stop.at_step=3", f"+callbacks.stop.once_file={once}_${{cv.fold}}"]
    stopped = _nnframe(outputs, "cls", "train", "cv.folds=3", *TINY, *stop)
    output = stopped.stdout + stopped.stderr
    assert stopped.returncode == 130, output[-3000:]
    (run_dir,) = (outputs / "cls" / "train" / "shapes").iterdir()
    assert json.loads((run_dir / "fold_0" / "run.json").read_text())["status"] == "completed"
    last = run_dir / "fold_1" / "checkpoints" / "last.ckpt"
    assert torch.load(last, map_location="cpu", weights_only=True)["global_step"] == 3
    assert not (run_dir / "fold_2").exists()

    line = next(line.strip() for line in output.splitlines() if line.strip().startswith("continue:"))
    command = shlex.split(line[len("continue:"):])
    assert command[0] == "nnframe" and "resume=true" in command
    resumed = _nnframe(outputs, *command[1:])
    resumed_output = resumed.stdout + resumed.stderr
    assert resumed.returncode == 0, resumed_output[-3000:]
    assert [p.name for p in (outputs / "cls" / "train" / "shapes").iterdir()] == [run_dir.name]  # same run
    assert "cross-validation fold 0 of 3: completed" in resumed_output  # not trained again
    assert "Restoring states from the checkpoint path at " + str(last) in resumed_output  # fold 1 continues
    for fold in range(3):
        assert json.loads((run_dir / f"fold_{fold}" / "run.json").read_text())["status"] == "completed"
    assert len(json.loads((run_dir / "cv.json").read_text())["metrics"]["val/acc"]["folds"]) == 3
