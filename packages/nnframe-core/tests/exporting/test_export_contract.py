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
