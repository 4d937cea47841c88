"""The README's "fine-tune on your images" commands for classification, through the real
``nnframe`` command with the default callbacks, loggers and progress bar (tiny sizes; a local
weights file stands in for the download): cls train -> eval with TTA -> predict, without the
weights file after training."""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

import pytest
import timm
import torch
from PIL import Image

from nnframe.core.data import generate_shapes
from nnframe.core.testing import write_shapes_folder
from nnframe.core.testing.nnframe_process import run_nnframe

pytestmark = pytest.mark.slow

SMALL = ["data.batch_size=8", "data.num_workers=0", "data.persistent_workers=false", "data.pin_memory=false",
         "trainer.accelerator=cpu"]


def _nnframe(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_nnframe(*args, cwd=cwd)


def _run_dir(cwd: Path, task: str, action: str, run_name: str) -> Path:
    (run,) = sorted((cwd / "outputs" / task / action / run_name).iterdir())
    return run


def test_classification_finetune_eval_and_predict(tmp_path: Path) -> None:
    images = write_shapes_folder(tmp_path / "my_images", {"train": {"circle": 16, "square": 16, "triangle": 16},
                                                          "val": {"circle": 6, "square": 6, "triangle": 6}})
    weights = tmp_path / "test_convnext.pth"
    torch.save(timm.create_model("test_convnext").state_dict(), weights)

    train = _nnframe("cls", "train", "experiment=finetune", f"data.root={images}", "model.backbone=test_convnext",
                     f"model.pretrained_file={weights}", "data.image_size=32", "trainer.max_epochs=2", *SMALL,
                     cwd=tmp_path)
    out = train.stdout + train.stderr
    assert f"pretrained weights: {weights} (timm) -> backbone test_convnext" in out
    assert "preprocessing: normalization mean/std (mean (0.5, 0.5, 0.5), std (0.5, 0.5, 0.5))" in out
    assert "test_convnext.r160_in1k" in out and "data.eval_transform.interpolation=bicubic" in out
    assert "epoch 0: backbone frozen" in out and "epoch 1: backbone unfrozen" in out
    assert "model.layer_decay=0.8" in out and "model.ema_decay=0.9998" in out
    assert "data.auto_augment" in out and "data.mixup_alpha" in out  # the data summary lists the switches
    run = _run_dir(tmp_path, "cls", "train", "finetune")
    checkpoint = run / "checkpoints" / "last.ckpt"
    assert "current_model_state" in torch.load(checkpoint, map_location="cpu", weights_only=True)  # the EMA's

    weights.unlink()  # eval and predict rebuild the model from the checkpoint alone
    evaluation = _nnframe("cls", "eval", f"ckpt_path={checkpoint}", "model.tta=hflip", cwd=tmp_path)
    assert "val/acc" in evaluation.stdout
    new_images = tmp_path / "new_images"
    new_images.mkdir()
    for i, image in enumerate(generate_shapes(4, image_size=48, seed=5).images):
        Image.fromarray(image).save(new_images / f"{i}.png")
    _nnframe("cls", "predict", f"ckpt_path={checkpoint}", f"predict.input_dir={new_images}", "model.tta=hflip",
             cwd=tmp_path)
    (predictions,) = (tmp_path / "outputs" / "cls" / "predict").rglob("predictions.csv")
    rows = list(csv.DictReader(predictions.open()))
    assert len(rows) == 4 and all(r["class_name"] in ("circle", "square", "triangle") for r in rows)
