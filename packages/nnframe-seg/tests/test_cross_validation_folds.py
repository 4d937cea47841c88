"""``nnframe seg train cv.folds=N``: a fold of the embedded shapes (on the device, masks as targets)
trains on its part and validates on the rest of the training split."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from nnframe.core import compose
from nnframe.core.cv import apply_fold
from nnframe.core.training.instantiate import build_datamodule


def test_a_seg_fold_validates_on_its_half_of_the_training_masks(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NNFRAME_OUTPUT_DIR", str(tmp_path / "outputs"))
    cfg = compose("seg", ["data.num_train=32", "data.num_val=8", "data.num_test=8", "data.batch_size=8",
                          "cv.folds=2", "cv.fold=1"])
    datamodule = build_datamodule(cfg, stage="fit")
    apply_fold(datamodule, int(cfg.cv.folds), int(cfg.cv.fold), int(cfg.seed))
    train, val = datamodule.datasets["train"], datamodule.datasets["val"]
    assert len(train) == len(val) == 16 and not set(train.indices) & set(val.indices)
    assert sum(len(images) for images, _ in datamodule.train_dataloader()) == 16
    val_masks = torch.cat([masks for _, masks in datamodule.val_dataloader()]).cpu()
    expected = torch.stack([torch.as_tensor(val[i][1]) for i in range(len(val))])  # with the eval transform
    assert torch.equal(val_masks, expected.to(val_masks.dtype))  # the on-device loader serves the held-out masks
