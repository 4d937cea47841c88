"""Training on shapes learns; eval and predict run from its checkpoint; predict writes palette PNGs."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nnframe.core.data import generate_shapes
from nnframe.core.testing import compose_task_config
from nnframe.core.training import predict, train

from .conftest import TINY

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, float]]:
    run_dir = tmp_path_factory.mktemp("seg") / "run"
    cfg = compose_task_config("nnframe.seg.configs", TINY, output_dir=run_dir)
    return run_dir, train(cfg)


def test_learns_shapes_masks_well_above_chance(trained_run: tuple[Path, dict[str, float]]) -> None:
    _, metrics = trained_run
    # Predicting background everywhere scores ~0.74 / 6 = 0.12 mIoU and ~0.74 pixel accuracy.
    assert metrics["val/miou_best"] > 0.2
    assert metrics["test/miou"] > 0.2
    assert metrics["test/pixel_acc"] > 0.76
    assert "val/iou/circle" in metrics and "val/dice" in metrics


def test_logs_overlays_confusion_matrix_and_per_class_iou(trained_run: tuple[Path, dict[str, float]]) -> None:
    run_dir, _ = trained_run
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run_dir / "tensorboard"), size_guidance={"images": 0}).Reload()
    tags = events.Tags()
    # per-class IoU as val_per_class/iou/<class> in TensorBoard: a group after the val cards
    for scalar in ("val/miou", "val/pixel_acc", "val/dice", "val_per_class/iou/background", "val_per_class/iou/star",
                   "val/miou_best"):
        assert scalar in tags["scalars"], scalar
    assert "val/predictions" in tags["images"]
    assert "val/confusion_matrix" in tags["images"]


def test_predict_writes_palette_masks_at_image_size_and_csv(trained_run: tuple[Path, dict[str, float]],
                                                            tmp_path: Path) -> None:
    run_dir, _ = trained_run
    images = tmp_path / "images" / "nested"
    images.mkdir(parents=True)
    arrays = generate_shapes(3, image_size=40, seed=5, max_shapes=2)
    for i, pixels in enumerate(arrays.images):
        Image.fromarray(pixels).save(images / f"img{i}.png")
    cfg = compose_task_config(
        "nnframe.seg.configs",
        [f"ckpt_path={run_dir / 'checkpoints' / 'last.ckpt'}", f"predict.input_dir={tmp_path / 'images'}",
         f"predict.output_dir={tmp_path / 'out'}", "extras.print_config=false"],
        output_dir=tmp_path / "predict", action="predict",
    )
    csv_path = predict(cfg)
    with open(csv_path) as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 3
    assert rows[0]["mask_path"].endswith("nested/img0.png")
    assert {"fraction/background", "fraction/cross", "mean_confidence"} <= set(rows[0])
    mask = Image.open(rows[0]["mask_path"])
    assert mask.mode == "P" and mask.size == (40, 40)  # back at the image's own size
    assert set(np.unique(np.asarray(mask)).tolist()) <= set(range(6))
    assert sum(float(rows[0][f"fraction/{name}"]) for name in ("background", "circle", "square", "triangle",
                                                                "star", "cross")) == pytest.approx(1.0, abs=1e-3)
