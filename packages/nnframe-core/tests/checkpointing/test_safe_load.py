"""``load_checkpoint``: a file is loaded as data (``weights_only=True``), and every file that is
not a plain checkpoint gets nnframe's one-line message naming it, never torch's advice to load it
unsafely."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from nnframe.core.backbones import create_backbone
from nnframe.core.backbones.backbone_weights import load_backbone_weights
from nnframe.core.checkpointing import load_checkpoint, read_checkpoint_metadata
from nnframe.core.errors import CheckpointError


class _Payload:
    """Unpickling it (an unsafe load) creates the marker file: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return os.system, (f"touch {self.marker}",)


def _plain_checkpoint() -> dict:
    return {"state_dict": {"w": torch.ones(2)}, "epoch": 1, "global_step": 8, "pytorch-lightning_version": "2.6.6",
            "nnframe": {"task": "cls", "class_names": ["a", "b"], "config": {"model": {"_target_": "x.Y"}}}}


def _malicious(tmp_path: Path) -> tuple[Path, Path]:
    marker, path = tmp_path / "MARKER", tmp_path / "evil.ckpt"
    checkpoint = _plain_checkpoint()
    checkpoint["nnframe"]["payload"] = _Payload(marker)
    torch.save(checkpoint, path)
    return path, marker


def test_a_plain_checkpoint_loads(tmp_path: Path) -> None:
    torch.save(_plain_checkpoint(), tmp_path / "ok.ckpt")
    assert read_checkpoint_metadata(tmp_path / "ok.ckpt", "cls")["class_names"] == ["a", "b"]
    torch.save({"w": torch.ones(3)}, tmp_path / "legacy.pth", _use_new_zipfile_serialization=False)
    torch.testing.assert_close(load_checkpoint(tmp_path / "legacy.pth")["w"], torch.ones(3))  # not mmap-able


def test_a_pickle_that_would_run_code_is_refused_and_runs_nothing(tmp_path: Path) -> None:
    path, marker = _malicious(tmp_path)
    for load in (load_checkpoint, read_checkpoint_metadata):
        with pytest.raises(CheckpointError) as error:
            load(path)
        message = str(error.value)
        assert f"{path} is not a plain nnframe/Lightning checkpoint" in message and "posix.system" in message
        assert "weights_only" not in message and "\n" not in message
        assert error.value.__cause__ is None  # torch's advice is not chained on either
    assert not marker.exists()


def test_a_weights_file_that_would_run_code_gets_nnframes_message(tmp_path: Path) -> None:
    """``model.pretrained_file`` and backbone files: before, torch's message said to retry with
    ``weights_only=False``."""
    path, marker = _malicious(tmp_path)
    with pytest.raises(CheckpointError) as error:
        create_backbone("simple_cnn", pretrained_file=path)
    assert "is not a plain nnframe/Lightning checkpoint" in str(error.value) and "weights_only" not in str(error.value)
    with pytest.raises(CheckpointError) as error:
        load_backbone_weights(create_backbone("simple_cnn"), path)
    assert str(path) in str(error.value) and "weights_only" not in str(error.value)
    assert not marker.exists()


def test_a_text_file_is_not_a_checkpoint(tmp_path: Path) -> None:
    (tmp_path / "notes.ckpt").write_text("epoch 3: val/acc 0.91\n")
    with pytest.raises(CheckpointError, match=r"notes\.ckpt is not a checkpoint: it was not written by torch\.save "
                                              r"\(give a run's checkpoints/<file>\.ckpt"):
        read_checkpoint_metadata(tmp_path / "notes.ckpt")


def test_a_truncated_checkpoint_is_named(tmp_path: Path) -> None:
    torch.save(_plain_checkpoint(), tmp_path / "whole.ckpt")
    (tmp_path / "cut.ckpt").write_bytes((tmp_path / "whole.ckpt").read_bytes()[:300])
    with pytest.raises(CheckpointError, match=r"cannot read checkpoint .*cut\.ckpt: damaged or truncated"):
        load_checkpoint(tmp_path / "cut.ckpt")


def test_a_real_checkpoint_of_nnframes_module_and_callbacks_loads_with_weights_only(tmp_path: Path) -> None:
    """What ``on_save_checkpoint`` and nnframe's callbacks store (metadata, class names, the
    config, RNG states, the EMA) are plain values and tensors."""
    import lightning as L

    from nnframe.core.callbacks import RNGStateCallback
    from nnframe.core.testing.toy import ToyClassifier, ToyDataModule

    model = ToyClassifier(ema_decay=0.9)
    model.class_names = ["a", "b", "c", "d", "e"]
    model.nnframe_metadata = {"task": "cls", "config": {"model": {"_target_": "nnframe.core.testing.toy.ToyClassifier"},
                                                        "data": {"image_size": 16}}}
    trainer = L.Trainer(max_epochs=1, limit_train_batches=2, limit_val_batches=1, logger=False, enable_progress_bar=False,
                        enable_model_summary=False, callbacks=[RNGStateCallback()], default_root_dir=tmp_path)
    trainer.fit(model, datamodule=ToyDataModule(num_train=64, num_val=32))
    trainer.save_checkpoint(tmp_path / "real.ckpt")
    checkpoint = torch.load(tmp_path / "real.ckpt", weights_only=True)
    assert checkpoint["nnframe"]["class_names"] == ["a", "b", "c", "d", "e"] and "rng_states" in checkpoint
    assert read_checkpoint_metadata(tmp_path / "real.ckpt", "cls")["task"] == "cls"
