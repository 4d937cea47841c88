"""ResumableCSVLogger continues the metrics.csv already in its folder (a resumed run)."""

from __future__ import annotations

import csv
from pathlib import Path

from nnframe.core.loggers import ResumableCSVLogger


def test_appends_new_rows_and_columns_and_drops_a_half_written_row(tmp_path: Path) -> None:
    metrics = tmp_path / "csv" / "metrics.csv"
    metrics.parent.mkdir()
    # The interrupted run: one whole row, then the process died half-way through the next one.
    metrics.write_text("epoch,step,train/loss\n0,3,0.5\n1,7,0.")

    logger = ResumableCSVLogger(save_dir=tmp_path, name="csv", version="")
    logger.log_metrics({"train/loss": 0.25, "val/acc": 0.75}, step=7)
    logger.save()

    with metrics.open(newline="") as file:
        rows = list(csv.DictReader(file))
    assert rows == [
        {"epoch": "0", "step": "3", "train/loss": "0.5", "val/acc": ""},
        {"epoch": "", "step": "7", "train/loss": "0.25", "val/acc": "0.75"},
    ]


def test_rows_set_aside_by_a_run_killed_as_its_writer_was_made_are_continued(tmp_path: Path) -> None:
    """The old rows wait in metrics.csv.resumed while Lightning's writer is made (it deletes
    metrics.csv): a run killed then still has them, and the next one continues them."""
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "metrics.csv.resumed").write_text("epoch,step,train/loss\n0,3,0.5\n")

    logger = ResumableCSVLogger(save_dir=tmp_path, name="csv", version="")
    logger.log_metrics({"train/loss": 0.25}, step=7)
    logger.save()

    with (folder / "metrics.csv").open(newline="") as file:
        rows = list(csv.DictReader(file))
    assert [row["step"] for row in rows] == ["3", "7"]
    assert not (folder / "metrics.csv.resumed").exists()
