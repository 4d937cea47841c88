"""Export asks the task module what to export, with which inputs and names, or why it cannot."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from nnframe.core.errors import ConfigError
from nnframe.core.exporting import export_model
from nnframe.core.testing import ToyClassifier

SPEC = {"channels": 3, "height": 16, "width": 16}


class _Scores(ToyClassifier):
    """Exports its network alone, as ``pixels -> scores``, on inputs of its own."""

    def export_module(self) -> nn.Module:
        return self.net

    def export_inputs(self, spec):
        return (torch.full((spec["batch_size"], spec["channels"], spec["height"], spec["width"]), 0.5),)

    def export_names(self):
        return ["pixels"], ["scores"]


def test_export_uses_the_modules_export_methods(tmp_path: Path) -> None:
    onnxruntime = pytest.importorskip("onnxruntime")
    result = export_model(_Scores(), SPEC, tmp_path / "model.onnx", batch_size=2)
    session = onnxruntime.InferenceSession(str(result.path), providers=["CPUExecutionProvider"])
    assert [node.name for node in session.get_inputs()] == ["pixels"]
    assert [node.name for node in session.get_outputs()] == ["scores"]
    assert result.max_abs_diff is not None and result.max_abs_diff < 1e-4


class _Unexportable(ToyClassifier):
    def export_unsupported(self) -> str:
        return "its forward takes a list of images of several sizes"


def test_a_module_that_cannot_be_exported_says_why_by_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="_Unexportable cannot be exported: its forward takes a list of images"):
        export_model(_Unexportable(), SPEC, tmp_path / "model.onnx")
    assert not (tmp_path / "model.onnx").exists()


class _Noisy(ToyClassifier):
    """Adds noise of about 1e-3 to its outputs, so no export can match it to 1e-4."""

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        logits = super().forward(images)
        return logits + 1e-3 * torch.rand_like(logits)


def test_a_difference_above_atol_names_the_format_and_the_atol_to_raise(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"the pt2 export differs from PyTorch by .* \(more than export.atol=0.0001 "
                                          r"\+ export.rtol=0.0001 x the value\); "
                                          r"try export.format=onnx, or raise export.atol"):
        export_model(_Noisy(), SPEC, tmp_path / "model.pt2", fmt="pt2")
    # The hint followed: a larger atol accepts the difference.
    result = export_model(_Noisy(), SPEC, tmp_path / "model.pt2", fmt="pt2", atol=1e-2)
    assert 1e-4 < result.max_abs_diff < 1e-2


def test_torchscript_stops_with_the_formats_to_use_once_lightning_drops_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import lightning

    monkeypatch.delattr(lightning.LightningModule, "to_torchscript")
    with pytest.raises(ConfigError, match="export.format=torchscript: Lightning .* no longer supports TorchScript; "
                                          "use export.format=pt2"):
        export_model(ToyClassifier(), SPEC, tmp_path / "model.pt", fmt="torchscript")
    # The hint followed: pt2 exports the same model.
    assert export_model(ToyClassifier(), SPEC, tmp_path / "model.pt2", fmt="pt2").max_abs_diff < 1e-4


def test_onnx_without_onnxscript_names_the_install_and_pt2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "onnxscript", None)  # import onnxscript raises ImportError
    with pytest.raises(ConfigError, match="export.format=onnx needs onnxscript .*pip install onnx onnxscript.*"
                                          "or use export.format=pt2"):
        export_model(ToyClassifier(), SPEC, tmp_path / "model.onnx", fmt="onnx")
    assert not (tmp_path / "model.onnx").exists()
    # The hint followed: pt2 needs nothing more than torch.
    assert export_model(ToyClassifier(), SPEC, tmp_path / "model.pt2", fmt="pt2").max_abs_diff < 1e-4
