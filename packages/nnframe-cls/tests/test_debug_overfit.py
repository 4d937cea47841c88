"""``debug=overfit`` (its YAML: "the loss should go to ~0, else the model or loss is broken") on the
default model through the real command, on both data paths: the same batches every epoch, so a
healthy model memorises them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nnframe.core.testing import followed_tensorboard_hint, read_batch_hashes, run_cli, write_shapes_folder
from nnframe.core.testing.nnframe_process import run_nnframe

pytestmark = pytest.mark.slow


def test_debug_overfit_drives_the_default_models_loss_to_near_zero(tmp_path: Path) -> None:
    done = run_nnframe("cls", "train", "debug=overfit", "data.num_train=512", cwd=tmp_path)
    (record,) = (tmp_path / "outputs" / "cls" / "train").glob("*/*/run.json")
    metrics = json.loads(record.read_text())["metrics"]
    assert metrics["train/acc"] == 1.0 and metrics["train/loss_epoch"] < 0.05, metrics
    # The TensorBoard hint at the end, followed: the log directory, with the HPARAMS summary.
    columns = followed_tensorboard_hint(done.stdout + done.stderr, record.parent)
    assert columns[0] == ("", "val/acc"), columns


def test_debug_overfit_repeats_the_batches_of_a_folder_read_by_the_dataloader(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A class-per-folder dataset through the DataLoader path, its random crops and flips on: every
    epoch trains on the same (class-mixed) batches, and the loss goes to near zero."""
    shapes = ("circle", "square", "triangle")
    root = write_shapes_folder(tmp_path / "my_images", {"train": dict.fromkeys(shapes, 16),
                                                        "val": dict.fromkeys(shapes, 2)})
    monkeypatch.setenv("NNFRAME_OUTPUT_DIR", str(tmp_path / "outputs"))
    hashes = tmp_path / "hashes"
    code, output = run_cli(capsys, "cls", "train", "debug=overfit", "data=image_folder", f"data.root={root}",
                           "data.batch_size=16", "trainer.max_epochs=25",  # 3 batches (the 48 images), 75 steps
                           "+callbacks.hashes._target_=nnframe.core.testing.BatchHashRecorder",
                           f"+callbacks.hashes.dirpath={hashes}")
    assert code == 0, output[-3000:]
    seen = read_batch_hashes(hashes / "batches_rank0.txt")
    epochs: dict[int, list[str]] = {}
    for epoch, _, digest in seen:
        epochs.setdefault(epoch, []).append(digest)
    assert len(epochs) == 25 and len(epochs[0]) == 3, {e: len(d) for e, d in epochs.items()}
    assert all(digests == epochs[0] for digests in epochs.values()), "the batches differ between epochs"
    (record,) = (tmp_path / "outputs" / "cls" / "train").glob("*/*/run.json")
    metrics = json.loads(record.read_text())["metrics"]
    assert metrics["train/acc"] == 1.0 and metrics["train/loss_epoch"] < 0.05, metrics
