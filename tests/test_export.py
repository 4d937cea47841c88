"""``nnframe cls export``: ONNX and TorchScript models that match PyTorch to 1e-4, with the input
size and normalisation written beside them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnxruntime
import pytest
import torch

from nnframe.core.cli import main
from nnframe.core.errors import ConfigError
from nnframe.core.exporting import export, load_model_from_checkpoint
from nnframe.core.testing import compose_task_config
from nnframe.core.training import train

pytestmark = pytest.mark.slow  # trains a model once for the module

CONFIGS = "nnframe.cls.configs"
TINY = [
    "data.num_train=64",
    "data.num_val=32",
    "data.num_test=32",
    "data.image_size=24",
    "data.batch_size=32",
    "trainer.max_epochs=1",
    "trainer.accelerator=cpu",
    "logger=many",
]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A classifier trained for one epoch on 24 px shapes."""
    run_dir = tmp_path_factory.mktemp("train")
    train(compose_task_config(CONFIGS, TINY, output_dir=run_dir))
    return run_dir / "checkpoints" / "last.ckpt"


def _export_cfg(checkpoint: Path, out: Path, *overrides: str):
    return compose_task_config(CONFIGS, [f"ckpt_path={checkpoint}", *overrides], output_dir=out, action="export")


def _real_batch(cfg) -> torch.Tensor:
    """Normalised shapes images, as the model sees them."""
    from nnframe.core.training.instantiate import build_datamodule

    datamodule = build_datamodule(cfg, stage="fit")
    images, _ = next(iter(datamodule.val_dataloader()))
    return images[:5]


def test_onnx_export_matches_pytorch_and_records_its_input(checkpoint: Path, tmp_path: Path) -> None:
    cfg = _export_cfg(checkpoint, tmp_path, "export.format=onnx")
    result = export(cfg)
    assert result.path == tmp_path / "model.onnx" and result.max_abs_diff <= 1e-4

    model, model_cfg, _ = load_model_from_checkpoint(cfg)
    images = _real_batch(model_cfg)  # 5 images: another batch size than the traced one
    session = onnxruntime.InferenceSession(str(result.path), providers=["CPUExecutionProvider"])
    (onnx_logits,) = session.run(None, {"images": images.numpy()})
    with torch.no_grad():
        torch_logits = model(images).numpy()
    assert onnx_logits.shape == (5, 5)
    np.testing.assert_allclose(onnx_logits, torch_logits, atol=1e-4, rtol=0)

    info = json.loads(result.metadata_path.read_text())
    assert info["input"]["shape"] == ["batch", 3, 24, 24]
    mean, std = info["normalization"]["mean"], info["normalization"]["std"]
    assert len(mean) == len(std) == 3 and info["normalization"]["name"] == "shapes"
    assert info["class_names"] == model.class_names and len(info["class_names"]) == 5


def test_torchscript_export_through_the_command_line(checkpoint: Path, tmp_path: Path) -> None:
    out = tmp_path / "ts"
    assert main(["cls", "export", f"ckpt_path={checkpoint}", "export.format=torchscript",
                 f"export.output_dir={out}", f"hydra.run.dir={tmp_path / 'run'}"]) == 0
    scripted = torch.jit.load(str(out / "model.pt"))
    model, model_cfg, _ = load_model_from_checkpoint(_export_cfg(checkpoint, tmp_path))
    images = _real_batch(model_cfg)
    with torch.no_grad():
        torch.testing.assert_close(scripted(images), model(images), atol=1e-4, rtol=0)
    assert json.loads((out / "model.json").read_text())["format"] == "torchscript"


def test_unknown_format_names_the_choices(checkpoint: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="export.format='tflite'.*onnx, torchscript"):
        export(_export_cfg(checkpoint, tmp_path, "export.format=tflite"))
