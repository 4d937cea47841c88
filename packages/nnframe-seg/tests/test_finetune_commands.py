"""The README's "fine-tune on your images" commands for segmentation, through the real ``nnframe``
command with the default callbacks, loggers and progress bar (tiny sizes; a local weights file
stands in for the download): seg train -> predict with a sliding window on an image larger than
the crop."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
import timm
import torch
from PIL import Image

from nnframe.core.data import generate_shapes
from nnframe.core.testing.nnframe_process import run_nnframe

pytestmark = pytest.mark.slow

SMALL = ["data.batch_size=8", "data.num_workers=0", "data.persistent_workers=false", "data.pin_memory=false",
         "trainer.accelerator=cpu"]


def _nnframe(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_nnframe(*args, cwd=cwd)


def _run_dir(cwd: Path, task: str, action: str, run_name: str) -> Path:
    (run,) = sorted((cwd / "outputs" / task / action / run_name).iterdir())
    return run


def _write_mask_folder(root: Path, count: int = 12, size: int = 64) -> None:
    arrays = generate_shapes(count, image_size=size, seed=1, min_shapes=1, max_shapes=3)
    for i, (image, mask) in enumerate(zip(arrays.images, arrays.masks, strict=True)):
        for folder, array in (("images", image), ("masks", mask)):
            (root / "train" / folder).mkdir(parents=True, exist_ok=True)
            Image.fromarray(array).save(root / "train" / folder / f"{i}.png")


def test_segmentation_finetune_and_sliding_window_predict(tmp_path: Path) -> None:
    _write_mask_folder(tmp_path / "my_masks")
    weights = tmp_path / "resnet18.pth"
    torch.save(timm.create_model("resnet18").state_dict(), weights)  # torchvision's key names
    train = _nnframe("seg", "train", "experiment=finetune", f"data.root={tmp_path / 'my_masks'}", "data.num_classes=6",
                     "model.encoder=resnet18", f"model.pretrained_file={weights}", "data.image_size=64",
                     "trainer.max_epochs=2", *SMALL, "data.batch_size=4", "data.val_fraction=0.25", cwd=tmp_path)
    out = train.stdout + train.stderr
    assert f"pretrained weights: {weights} (state dict) -> encoder resnet18" in out
    assert "ImageNet statistics, assumed for resnet18's imagenet weights" in out  # offline: smp's config not cached
    assert "epoch 0: backbone frozen" in out
    checkpoint = _run_dir(tmp_path, "seg", "train", "finetune") / "checkpoints" / "last.ckpt"

    large = tmp_path / "large_images"
    large.mkdir()
    pixels = np.random.default_rng(0).integers(0, 256, (100, 150, 3), dtype=np.uint8)  # 150 x 100 > the 64 px crop
    Image.fromarray(pixels).save(large / "big.png")
    _nnframe("seg", "predict", f"ckpt_path={checkpoint}", f"predict.input_dir={large}", "model.sliding_window=64",
             "data.eval_transform.image_size=null", "data.eval_batch_size=1", cwd=tmp_path)
    (mask_path,) = (tmp_path / "outputs" / "seg" / "predict").rglob("big.png")
    with Image.open(mask_path) as mask:
        assert mask.size == (150, 100)
