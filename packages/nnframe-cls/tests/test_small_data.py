"""Small folders of real-like images through the real `nnframe cls train` with every default:
140 training images of 25 px learn (enough optimizer steps for BatchNorm to settle, images raised
to the size the CNN needs), a validation accuracy at chance beside a high training one is
explained at the end, and a ViT takes 32 px folders (created at the data's size)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nnframe.core.testing import run_cli

QUIET = ["data.num_workers=0", "extras.print_config=false"]  # shrink only: no worker processes


@pytest.fixture(autouse=True)
def _outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NNFRAME_OUTPUT_DIR", str(tmp_path / "outputs"))


def _metrics(tmp_path: Path) -> dict[str, float]:
    (record,) = (tmp_path / "outputs" / "cls" / "train").glob("*/*/run.json")
    return json.loads(record.read_text())["metrics"]


def write_blob_folder(root: Path, train: int = 140, val: int = 60, size: int = 25,
                      swap_half_of_val: bool = False) -> None:
    """Two classes like a small face/non-face set: noise of random brightness, with ("blob") or
    without ("none") a faint bright spot somewhere; PNG files in train/ and val/.

    With ``swap_half_of_val`` half of each val class is filed under the other class: a model that
    learnt the task scores 0.5 there.
    """
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:size, :size]
    for split, count in (("train", train), ("val", val)):
        for i in range(count):
            blob = i % 2 == 0
            image = rng.normal(rng.uniform(60, 160), 25, (size, size, 3))
            if blob:
                cy, cx = rng.integers(6, size - 6, 2)
                image += 80 * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 12.0)[..., None]
            label = blob
            if swap_half_of_val and split == "val" and (i // 2) % 2:
                label = not blob
            folder = root / split / ("blob" if label else "none")
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)).save(folder / f"{i}.png")


@pytest.mark.slow
def test_140_small_images_learn_with_every_default(capsys, tmp_path: Path) -> None:
    # Before: batch 64 gave 18 optimizer steps in 6 epochs; BatchNorm's running statistics did
    # not settle and val/acc stayed at 0.5 while train/acc reached 0.92.
    write_blob_folder(tmp_path / "data")
    code, output = run_cli(capsys, "cls", "train", "data=image_folder", f"data.root={tmp_path / 'data'}", *QUIET)
    assert code == 0, output[-3000:]
    assert "resolved: data.batch_size=auto -> 8 (140 training images" in output
    assert "resolved: data.image_size=auto -> 32 (median short side of the 140 training images is 25 px" in output
    assert _metrics(tmp_path)["val/acc"] >= 0.85
    assert "is at chance" not in output


@pytest.mark.slow
def test_validation_at_chance_is_explained_at_the_end(capsys, tmp_path: Path) -> None:
    write_blob_folder(tmp_path / "data", swap_half_of_val=True)
    code, output = run_cli(capsys, "cls", "train", "data=image_folder", f"data.root={tmp_path / 'data'}", *QUIET)
    assert code == 0, output[-3000:]
    metrics = _metrics(tmp_path)
    assert metrics["train/acc"] >= 0.75 and metrics["val/acc"] <= 0.55
    tail = output[output.index("final metrics"):]
    assert "is at chance for 2 classes (0.500) while train/acc is" in tail
    assert "likely causes: validation labels that do not match the training classes" in tail
    assert "`nnframe cls inspect`" in tail


def test_too_few_steps_are_told_before_training_with_the_keys_to_set(capsys, tmp_path: Path) -> None:
    write_blob_folder(tmp_path / "data", train=40, val=10)
    code, output = run_cli(capsys, "cls", "train", "data=image_folder", f"data.root={tmp_path / 'data'}",
                           "data.batch_size=64", "trainer.max_epochs=1", "test=false", *QUIET)
    assert code == 0, output[-3000:]
    line = next(line for line in output.splitlines() if line.startswith("warning: only 1 optimizer steps"))
    assert "set trainer.max_epochs=60" in line
    assert output.index(line) < output.index("epoch 0:")  # before training


@pytest.mark.slow
def test_a_vit_with_a_local_weights_file_trains_on_32px_images(capsys, tmp_path: Path) -> None:
    # Before: "AssertionError: Input height (32) doesn't match model (224)" deep inside timm.
    timm = pytest.importorskip("timm")
    import torch

    weights = tmp_path / "vit_tiny.pth"
    torch.save(timm.create_model("vit_tiny_patch16_224").state_dict(), weights)
    write_blob_folder(tmp_path / "data", train=16, val=8, size=32)
    code, output = run_cli(capsys, "cls", "train", "data=image_folder", f"data.root={tmp_path / 'data'}",
                           "model=timm", "model.backbone=vit_tiny_patch16_224", f"model.pretrained_file={weights}",
                           "trainer.max_epochs=1", "test=false", *QUIET)
    assert code == 0, output[-3000:]
    assert "vit_tiny_patch16_224 is created at 32 px (its default is 224)" in output
    assert "150 of 150 tensors loaded" in output
    assert "val/acc" in _metrics(tmp_path)
