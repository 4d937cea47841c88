"""Every action of ``nnframe det`` through the real command in a subprocess, with the default
callbacks, loggers and progress bar; only sizes and epochs are shrunk. One tiny training is
reused by the actions that need a checkpoint. What is det's own is checked here (mAP and box
figures, the COCO results and drawn boxes); tune, bench and export run for every task in the root
tests (tests/test_cli_matrix.py, tests/test_export.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nnframe.core.testing.event_files import event_summaries
from nnframe.det.task import TASK

pytestmark = pytest.mark.slow

TINY = list(TASK.smoke_overrides)


def run_nnframe(*args: str, cwd: Path, timeout: float = 300) -> str:
    """``nnframe <args>`` in a new process; its output, after checking that it succeeded."""
    env = {**os.environ, "NNFRAME_OUTPUT_DIR": str(cwd / "outputs"), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "nnframe.core.cli", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd, env=env)
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"exit {done.returncode}:\n{output[-4000:]}"
    assert "Traceback" not in output, output[-4000:]
    return output


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("det_cli")


@pytest.fixture(scope="module")
def trained(workdir: Path) -> tuple[Path, Path]:
    """``nnframe det train`` on tiny shapes: (the run directory, its best checkpoint)."""
    run_dir = workdir / "train"
    output = run_nnframe("det", "train", *TINY, "trainer.max_epochs=1", f"hydra.run.dir={run_dir}", cwd=workdir)
    assert "val/map" in output and "test/map" in output
    assert "val/loss: not applicable to this task" in output
    checkpoints = sorted((run_dir / "checkpoints").glob("epoch_*.ckpt"))
    assert checkpoints, output[-2000:]
    return run_dir, checkpoints[0]


def test_train_logs_map_losses_and_box_figures(trained):
    run_dir, _ = trained
    summaries = event_summaries(run_dir / "tensorboard")
    for tag in ("val/map", "val/map_50", "val/map_75", "val/mar_100", "train/loss_classification_epoch",
                "train/loss_bbox_regression_epoch", "train/loss_bbox_ctrness_epoch"):
        assert tag in summaries, sorted(summaries)
    assert "val/predictions" in summaries and "train/samples" in summaries  # the box figures


def test_eval(trained, workdir):
    _, ckpt = trained
    output = run_nnframe("det", "eval", f"ckpt_path={ckpt}", f"hydra.run.dir={workdir / 'eval'}", cwd=workdir)
    assert "val/map" in output


def test_predict_writes_csv_coco_json_and_drawn_images(trained, workdir):
    _, ckpt = trained
    images = workdir / "to_predict"
    images.mkdir()
    rng = np.random.default_rng(0)
    for name, size in (("one.png", (48, 48)), ("two.jpg", (60, 40))):  # any size: the detector resizes
        Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)).save(images / name)
    run_dir = workdir / "predict"
    run_nnframe("det", "predict", f"ckpt_path={ckpt}", f"predict.input_dir={images}", "predict.output_dir=out",
                "predict.score_threshold=0.0", f"hydra.run.dir={run_dir}", cwd=workdir)
    out = run_dir / "out"
    rows = (out / "predictions.csv").read_text().splitlines()
    assert rows[0] == "path,class_index,class_name,score,x1,y1,x2,y2"
    assert {Path(r.split(",")[0]).name for r in rows[1:]} == {"one.png", "two.jpg"}
    results = json.loads((out / "predictions.json").read_text())
    assert all(set(r) == {"image_id", "category_id", "bbox", "score"} and len(r["bbox"]) == 4 for r in results)
    index = json.loads((out / "images.json").read_text())
    assert [Path(i["file_name"]).name for i in index["images"]] == ["one.png", "two.jpg"]
    assert len(list((out / "images").glob("*.png"))) == 2


def test_inspect_draws_boxes(workdir):
    run_dir = workdir / "inspect"
    output = run_nnframe("det", "inspect", *TINY, f"hydra.run.dir={run_dir}", cwd=workdir)
    assert (run_dir / "train_samples.png").is_file() and "no problem found" in output
