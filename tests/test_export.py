"""``nnframe <task> export``: torch.export (pt2), ONNX (dynamo exporter) and TorchScript models that
match PyTorch to 1e-4, with the input size and normalisation written beside them, for every installed
task that exports through core (its ``TaskSpec.smoke_overrides``; ssl's export writes a backbone
file, tested in the CLI matrix)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnxruntime
import pytest
import torch

from nnframe.core.errors import ConfigError
from nnframe.core.exporting import export, load_model_from_checkpoint
from nnframe.core.task_registry import discover_tasks
from nnframe.core.testing import compose_task_config
from nnframe.core.training import train

pytestmark = pytest.mark.slow  # trains a model once per task for the module

TASKS = {name: spec for name, spec in discover_tasks().items()
         if spec.actions["export"].function.startswith("nnframe.core.")}  # core's export
SIZES = [
    "data.num_train=64",
    "data.num_val=32",
    "data.num_test=32",
    "data.batch_size=32",
    "trainer.max_epochs=1",
    "trainer.accelerator=cpu",
    "logger=many",
]


def _nnframe(*args: str, cwd: Path) -> str:
    """The output of ``nnframe <args>`` run in a new process (as a user runs it), which succeeded."""
    env = {**os.environ, "NNFRAME_OUTPUT_DIR": str(cwd / "outputs"), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "nnframe.core.cli", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd, env=env)
    output = done.stdout + done.stderr
    assert done.returncode == 0 and "Traceback" not in output, f"exit {done.returncode}:\n{output[-4000:]}"
    assert "site-packages" not in output, output[-4000:]  # no library warnings (extras.ignore_warnings)
    return output


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {}


# Known gap (session note, issue 29): torch.export cannot trace torchvision's detectors (pt2 and
# torchscript fail) and their outputs are lists of dicts, which these checks compare as tensors;
# nnframe-det's own tests check its ONNX export.
EXPORT_GAPS = {"det": "detectors: pt2/torchscript cannot trace them; list-of-dict outputs (see nnframe-det's tests)"}


@pytest.fixture(params=list(TASKS))
def task(request: pytest.FixtureRequest) -> str:
    if request.param in EXPORT_GAPS:
        pytest.skip(EXPORT_GAPS[request.param])
    return request.param


@pytest.fixture
def checkpoint(task: str, trained: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model of ``task`` trained for one epoch on its tiny data (once per task)."""
    if task not in trained:
        run_dir = tmp_path_factory.mktemp(f"train_{task}")
        train(compose_task_config(TASKS[task].config_package, [*TASKS[task].smoke_overrides, *SIZES],
                                  output_dir=run_dir))
        trained[task] = run_dir / "checkpoints" / "last.ckpt"
    return trained[task]


def _export_cfg(task: str, checkpoint: Path, out: Path, *overrides: str):
    return compose_task_config(TASKS[task].config_package, [f"ckpt_path={checkpoint}", *overrides], output_dir=out,
                               action="export")


def _real_batch(cfg) -> torch.Tensor:
    """Normalised shapes images, as the model sees them."""
    from nnframe.core.training.instantiate import build_datamodule

    datamodule = build_datamodule(cfg, stage="fit")
    images, _ = next(iter(datamodule.val_dataloader()))
    return images[:5]


def test_onnx_export_matches_pytorch_and_records_its_input(task: str, checkpoint: Path, tmp_path: Path) -> None:
    cfg = _export_cfg(task, checkpoint, tmp_path, "export.format=onnx")
    result = export(cfg)
    assert result.path == tmp_path / "model.onnx" and result.max_abs_diff <= 1e-4

    model, model_cfg, _ = load_model_from_checkpoint(cfg)
    images = _real_batch(model_cfg)  # 5 images: another batch size than the traced one
    session = onnxruntime.InferenceSession(str(result.path), providers=["CPUExecutionProvider"])
    (onnx_logits,) = session.run(None, {"images": images.numpy()})
    with torch.no_grad():
        torch_logits = model(images).numpy()
    classes = model_cfg.data.num_classes
    assert onnx_logits.shape == torch_logits.shape and onnx_logits.shape[:2] == (5, classes)
    np.testing.assert_allclose(onnx_logits, torch_logits, atol=1e-4, rtol=0)

    info = json.loads(result.metadata_path.read_text())
    size = model_cfg.data.image_size
    assert info["input"]["shape"] == ["batch", 3, size, size]
    mean, std = info["normalization"]["mean"], info["normalization"]["std"]
    assert len(mean) == len(std) == 3 and info["normalization"]["name"] == model_cfg.data.normalization  # shapes
    assert info["class_names"] == model.class_names and len(info["class_names"]) == classes


@pytest.mark.parametrize("fmt", ["pt2", "onnx", "torchscript"])
def test_every_format_through_the_command_line_matches_pytorch(task: str, fmt: str, checkpoint: Path,
                                                               tmp_path: Path) -> None:
    """``nnframe <task> export export.format=<fmt>``: the parity check passes, the file loads with
    its format's own loader and runs on another batch size than the one exported."""
    out = tmp_path / "deploy"
    output = _nnframe(task, "export", f"ckpt_path={checkpoint}", f"export.format={fmt}", f"export.output_dir={out}",
                      f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path)
    suffix = {"pt2": ".pt2", "onnx": ".onnx", "torchscript": ".pt"}[fmt]
    assert f"exported {fmt} model: {out / ('model' + suffix)} (max difference from PyTorch" in output
    # TorchScript says it is deprecated and what to use; the others say nothing of it.
    assert ("TorchScript export is deprecated" in output and "export.format=pt2" in output) == (fmt == "torchscript")

    model, model_cfg, _ = load_model_from_checkpoint(_export_cfg(task, checkpoint, tmp_path))
    images = _real_batch(model_cfg)  # 5 images: the export traced and checked 2 and 3
    path = str(out / f"model{suffix}")
    with torch.no_grad():
        expected = model(images)
        if fmt == "pt2":
            got = torch.export.load(path).module()(images)
        elif fmt == "onnx":
            session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
            got = torch.from_numpy(session.run(None, {"images": images.numpy()})[0])
        else:
            got = torch.jit.load(path)(images)
    assert got.shape[:2] == (5, model_cfg.data.num_classes)
    torch.testing.assert_close(got, expected, atol=1e-4, rtol=0)

    info = json.loads((out / "model.json").read_text())
    assert info["format"] == fmt and info["file"] == f"model{suffix}" and info["check"]["max_abs_diff"] <= 1e-4
    assert info["input"]["shape"][0] == "batch" and info["class_names"] == model.class_names
    assert info["load"].startswith({"pt2": "torch.export.load", "onnx": "onnxruntime", "torchscript": "torch.jit"}[fmt])


def test_unknown_format_names_the_choices(task: str, checkpoint: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="export.format='tflite'.*pt2, onnx, torchscript"):
        export(_export_cfg(task, checkpoint, tmp_path, "export.format=tflite"))
