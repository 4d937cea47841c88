"""A task module declares the formats it exports to (``TaskModule.export_formats``); export stops
on any other with one line that names them and the ``export.format`` to use."""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

import pytest
from omegaconf import OmegaConf

from nnframe.core.errors import ConfigError
from nnframe.core.exporting import EXPORT_FORMATS, export_model, task_export_formats
from nnframe.core.modules import TaskModule
from nnframe.core.testing import ToyClassifier

SPEC = {"channels": 3, "height": 16, "width": 16}


class OnnxOnly(ToyClassifier):
    """A model only ONNX exports (as torchvision's detectors)."""

    export_formats: ClassVar[tuple[str, ...]] = ("onnx",)


def test_a_task_module_exports_to_every_format_unless_it_says_otherwise() -> None:
    assert set(TaskModule.export_formats) == set(EXPORT_FORMATS)
    assert ToyClassifier.export_formats == TaskModule.export_formats


def test_the_formats_are_read_from_the_configured_class_without_building_it() -> None:
    onnx_only = OmegaConf.create({"model": {"_target_": f"{__name__}.OnnxOnly", "num_classes": "not built"}})
    assert task_export_formats(onnx_only) == ("onnx",)
    # Not a class (a factory function): every format, decided once the model is built.
    factory = OmegaConf.create({"model": {"_target_": "torch.nn.functional.relu"}})
    assert task_export_formats(factory) == tuple(EXPORT_FORMATS)


def test_an_undeclared_format_names_the_declared_ones_and_its_hint_exports(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as refused:
        export_model(OnnxOnly(), SPEC, tmp_path / "model.pt2", fmt="pt2")
    message = str(refused.value)
    assert message == "export.format=pt2 is not supported by OnnxOnly, which exports to onnx; use export.format=onnx"
    assert not (tmp_path / "model.pt2").exists()

    pytest.importorskip("onnxruntime")
    fmt = re.search(r"use export\.format=(\w+)$", message).group(1)  # the hint followed
    result = export_model(OnnxOnly(), SPEC, tmp_path / f"model{EXPORT_FORMATS[fmt]}", fmt=fmt)
    assert result.path.is_file() and result.max_abs_diff < 1e-4
