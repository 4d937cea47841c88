"""Multi-label data from a CSV: detected from the file, trained with BCE, measured with mAP and
per-class F1, predicted above a threshold; a model really learns on a generated set."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nnframe.core import cli
from nnframe.core.testing import compose_task_config
from nnframe.core.training import train

COLOURS = {"red": (220, 30, 30), "green": (30, 200, 30), "blue": (30, 30, 220)}


def write_colour_patches(root: Path, count: int, size: int = 16, seed: int = 0) -> Path:
    """``root/images/<i>.png`` on grey with a patch of each colour present and ``root/labels.csv``
    (``path,label`` with the colours ``|``-separated; some images have none)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(count):
        image = np.full((size, size, 3), 128, np.uint8)
        present = [name for name in COLOURS if rng.random() < 0.5]
        for name in present:
            top, left = (int(v) for v in rng.integers(0, size - size // 3, 2))
            image[top:top + size // 3, left:left + size // 3] = COLOURS[name]
        (root / "images").mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(root / "images" / f"{i}.png")
        rows.append((f"images/{i}.png", "|".join(present)))
    with open(root / "labels.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "label"])
        writer.writerows(rows)
    return root / "labels.csv"


@pytest.mark.slow
def test_a_multi_label_model_learns_which_colours_an_image_holds(tmp_path: Path) -> None:
    labels = write_colour_patches(tmp_path / "data", 600)
    cfg = compose_task_config("nnframe.cls.configs", [
        "data=csv", f"data.csv={labels}", "data.num_workers=0", "data.batch_size=32", "trainer.max_epochs=6",
        "data.train_transform.hflip=true"],
        output_dir=tmp_path / "run")
    metrics = train(cfg)
    assert cfg.data.multi_label is True and cfg.model.multi_label is True and cfg.monitor == "val/map"
    assert metrics["val/map"] > 0.9 and metrics["test/f1_macro"] > 0.8, metrics
    assert {"val/f1/red", "val/f1/green", "val/f1/blue", "val/exact_match"} <= set(metrics)


def test_multi_label_csv_through_the_cli_trains_and_predicts(capsys, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NNFRAME_OUTPUT_DIR", str(tmp_path / "outputs"))
    labels = write_colour_patches(tmp_path / "data", 40)
    code = cli.main(["cls", "train", "data=csv", f"data.csv={labels}", "data.num_workers=0", "data.batch_size=8",
                     "trainer.max_epochs=1", "model.threshold=0.3"])
    output = capsys.readouterr()
    assert code == 0, (output.out + output.err)[-3000:]
    assert "data.multi_label=auto -> True (some samples have several labels)" in output.out
    assert "test/map" in output.out and "test/f1/red" in output.out and "test/acc" not in output.out
    (checkpoint,) = (tmp_path / "outputs").glob("cls/train/*/*/checkpoints/last.ckpt")
    code = cli.main(["cls", "predict", f"ckpt_path={checkpoint}", f"predict.input_dir={tmp_path / 'data' / 'images'}",
                     f"predict.output_dir={tmp_path / 'predictions'}", "extras.print_config=false"])
    assert code == 0, capsys.readouterr().err[-2000:]
    with open(tmp_path / "predictions" / "predictions.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 40 and list(rows[0]) == ["path", "labels", "prob/blue", "prob/green", "prob/red"]
    for row in rows:  # the labels written are those above the checkpoint's threshold (0.3)
        above = {name for name in ("blue", "green", "red") if float(row[f"prob/{name}"]) > 0.3}
        assert set(filter(None, row["labels"].split("|"))) == above
