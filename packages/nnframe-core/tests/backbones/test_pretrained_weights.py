"""Pretrained weights from a local file: timm's format (.pth / .safetensors), a nested training
checkpoint, an nnframe backbone file; the report of what was loaded; the preprocessing they expect."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import timm
import torch
from safetensors.torch import save_file

from nnframe.core.backbones import (
    backbone_preprocessing,
    create_backbone,
    save_backbone_weights,
    timm_preprocessing,
)
from nnframe.core.errors import CheckpointError


@pytest.fixture(scope="module")
def source() -> torch.nn.Module:
    torch.manual_seed(1)
    return timm.create_model("test_convnext")  # with its classifier, as a downloaded file has


def _assert_backbone_equals(backbone: torch.nn.Module, source: torch.nn.Module) -> None:
    reference = source.state_dict()
    for name, value in backbone.state_dict().items():
        assert torch.equal(value, reference[name]), name


@pytest.mark.parametrize("suffix", [".pth", ".safetensors", ".ckpt"])
def test_a_weights_file_loads_every_backbone_tensor(source: torch.nn.Module, tmp_path: Path, suffix: str,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / f"weights{suffix}"
    if suffix == ".safetensors":
        save_file(source.state_dict(), path)
    elif suffix == ".ckpt":  # a training checkpoint: the weights under "state_dict", DataParallel prefixes
        torch.save({"epoch": 3, "state_dict": {f"module.{k}": v for k, v in source.state_dict().items()}}, path)
    else:
        torch.save(source.state_dict(), path)
    with caplog.at_level(logging.INFO):
        backbone = create_backbone("test_convnext", pretrained_file=path)
    _assert_backbone_equals(backbone, source)
    report = backbone.nnframe_weights_report
    assert report.loaded == report.total == len(backbone.state_dict()) and not report.missing
    assert "head.fc" in " ".join(report.notes)  # the classifier of the file is said to be unused
    assert f"pretrained weights: {path}" in caplog.text and f"{report.total} of {report.total} tensors loaded" in caplog.text


def test_missing_and_unused_tensors_are_reported(source: torch.nn.Module, tmp_path: Path,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    state = source.state_dict()
    removed = next(k for k in state if k.startswith("stages.1"))
    del state[removed]
    state["extra.weight"] = torch.zeros(3)
    torch.save(state, tmp_path / "partial.pth")
    with caplog.at_level(logging.INFO):
        backbone = create_backbone("test_convnext", pretrained_file=tmp_path / "partial.pth")
    report = backbone.nnframe_weights_report
    assert report.missing == [removed] and report.unexpected == ["extra.weight"]
    assert report.loaded == report.total - 1
    assert "WARNING" in caplog.text and removed in caplog.text and "extra.weight" in caplog.text


def test_weights_of_another_model_stop_with_the_file(source: torch.nn.Module, tmp_path: Path) -> None:
    torch.save(timm.create_model("test_resnet").state_dict(), tmp_path / "resnet.pth")
    with pytest.raises(CheckpointError, match=r"resnet\.pth"):
        create_backbone("test_convnext", pretrained_file=tmp_path / "resnet.pth")
    torch.save({"unrelated.weight": torch.zeros(2)}, tmp_path / "unrelated.pth")
    with pytest.raises(CheckpointError, match="none of the"):
        create_backbone("simple_cnn", pretrained_file=tmp_path / "unrelated.pth")


def test_a_missing_or_damaged_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="not found.*model.pretrained_file"):
        create_backbone("test_convnext", pretrained_file=tmp_path / "nope.pth")
    (tmp_path / "broken.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="broken.pth"):
        create_backbone("test_convnext", pretrained_file=tmp_path / "broken.pth")


def test_grey_input_adapts_the_first_convolution(source: torch.nn.Module, tmp_path: Path) -> None:
    torch.save(source.state_dict(), tmp_path / "w.pth")
    backbone = create_backbone("test_convnext", in_chans=1, pretrained_file=tmp_path / "w.pth")
    assert backbone.stem[0].weight.shape[1] == 1
    torch.testing.assert_close(backbone.stem[0].weight[:, 0], source.stem[0].weight.sum(1))
    assert any("channel" in note for note in backbone.nnframe_weights_report.notes)


def test_nnframe_backbone_file_says_where_it_comes_from(tmp_path: Path) -> None:
    trained = create_backbone("simple_cnn")
    save_backbone_weights(tmp_path / "b.pt", trained, "simple_cnn",
                          metadata={"source": "nnframe ssl", "method": "SimCLR", "checkpoint": "last.ckpt",
                                    "normalization": [[0.4, 0.4, 0.4], [0.2, 0.2, 0.2]], "image_size": 32})
    backbone = create_backbone("simple_cnn", pretrained_file=tmp_path / "b.pt")
    assert all(torch.equal(v, trained.state_dict()[k]) for k, v in backbone.state_dict().items())
    report = backbone.nnframe_weights_report
    assert report.kind == "nnframe backbone file" and "nnframe ssl export" in report.notes[0]
    assert "SimCLR" in report.notes[0]
    with pytest.raises(CheckpointError, match="simple_cnn"):
        create_backbone("cifar_resnet18", pretrained_file=tmp_path / "b.pt")
    preprocessing = backbone_preprocessing("simple_cnn", pretrained_file=tmp_path / "b.pt")
    assert preprocessing is not None and preprocessing.mean == (0.4, 0.4, 0.4) and preprocessing.input_size == 32


def test_preprocessing_comes_from_timms_pretrained_cfg() -> None:
    preprocessing = timm_preprocessing("test_convnext")
    assert preprocessing is not None
    assert preprocessing.mean == (0.5, 0.5, 0.5) and preprocessing.std == (0.5, 0.5, 0.5)
    assert preprocessing.interpolation == "bicubic" and preprocessing.crop_pct == 0.95
    assert preprocessing.input_size == 160 and "test_convnext.r160_in1k" in preprocessing.source
    assert backbone_preprocessing("test_convnext", pretrained=False) is None  # no weights, nothing to follow
    assert backbone_preprocessing("simple_cnn", pretrained=True) is None
