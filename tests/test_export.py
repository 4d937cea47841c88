"""``nnframe <task> export``: torch.export (pt2), ONNX (dynamo exporter) and TorchScript models that
match PyTorch to 1e-4, with the input size and normalisation written beside them, for every installed
task that exports through core (its ``TaskSpec.smoke_overrides``; ssl's export writes a backbone
file, tested in the CLI matrix), in each format its module declares (``TaskModule.export_formats``);
a format it does not declare stops before the checkpoint is read, naming the one to use."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnxruntime
import pytest
import torch

from nnframe.core.errors import ConfigError
from nnframe.core.exporting import EXPORT_FORMATS, export, load_model_from_checkpoint, task_export_formats
from nnframe.core.task_registry import discover_tasks
from nnframe.core.testing import compose_task_config, run_cli
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


def _formats(task: str) -> tuple[str, ...]:
    """The formats ``task``'s configured module declares (read from its class, nothing built)."""
    return task_export_formats(compose_task_config(TASKS[task].config_package, action="export"))


FORMATS = {task: _formats(task) for task in TASKS}
DECLARED = [(task, fmt) for task, formats in FORMATS.items() for fmt in formats]
REFUSED = {task: [fmt for fmt in EXPORT_FORMATS if fmt not in formats]
           for task, formats in FORMATS.items() if set(formats) != set(EXPORT_FORMATS)}


@pytest.fixture(params=list(TASKS))
def task(request: pytest.FixtureRequest) -> str:
    return request.param


def _train(task: str, trained: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model of ``task`` trained for one epoch on its tiny data (once per task)."""
    if task not in trained:
        run_dir = tmp_path_factory.mktemp(f"train_{task}")
        train(compose_task_config(TASKS[task].config_package, [*TASKS[task].smoke_overrides, *SIZES],
                                  output_dir=run_dir))
        trained[task] = run_dir / "checkpoints" / "last.ckpt"
    return trained[task]


@pytest.fixture
def checkpoint(task: str, trained: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _train(task, trained, tmp_path_factory)


def _export_cfg(task: str, checkpoint: Path, out: Path, *overrides: str):
    return compose_task_config(TASKS[task].config_package, [f"ckpt_path={checkpoint}", *overrides], output_dir=out,
                               action="export")


def _real_inputs(model, cfg) -> torch.Tensor:
    """Real images of the task's data, normalised as the model sees them, as its exported module
    takes them (the task's ``batch_images``, stacked): 5 with a dynamic batch size (another size
    than the traced one), else the exported batch size."""
    from nnframe.core.training.instantiate import build_datamodule

    datamodule = build_datamodule(cfg, stage="fit")
    images = model.batch_images(next(iter(datamodule.val_dataloader())))
    count = 5 if cfg.export.dynamic_batch else int(cfg.export.batch_size)
    return torch.stack(list(images[:count])) if isinstance(images, list) else images[:count]


def _outputs(outputs) -> list[torch.Tensor]:
    return [outputs] if isinstance(outputs, torch.Tensor) else list(outputs)


def test_onnx_export_matches_pytorch_and_records_its_input(task: str, checkpoint: Path, tmp_path: Path) -> None:
    cfg = _export_cfg(task, checkpoint, tmp_path, "export.format=onnx")
    result = export(cfg)
    assert result.path == tmp_path / "model.onnx" and result.max_abs_diff <= 1e-4

    model, model_cfg, _ = load_model_from_checkpoint(cfg)
    images = _real_inputs(model, model_cfg)
    session = onnxruntime.InferenceSession(str(result.path), providers=["CPUExecutionProvider"])
    got = session.run(None, {"images": images.numpy()})
    with torch.no_grad():
        expected = _outputs(model.export_module()(images))
    assert len(got) == len(expected)
    for onnx_out, torch_out in zip(got, expected, strict=True):
        np.testing.assert_allclose(onnx_out, torch_out.numpy(), atol=1e-4, rtol=0)

    info = json.loads(result.metadata_path.read_text())
    size = model_cfg.data.image_size
    batch = "batch" if model_cfg.export.dynamic_batch else int(model_cfg.export.batch_size)
    assert info["input"]["shape"] == [batch, 3, size, size]
    assert [o["name"] for o in info["outputs"]] == [node.name for node in session.get_outputs()]
    mean, std = info["normalization"]["mean"], info["normalization"]["std"]
    assert len(mean) == len(std) == 3 and info["normalization"]["name"] == model_cfg.data.normalization  # shapes
    classes = model_cfg.data.num_classes
    assert info["class_names"] == model.class_names and len(info["class_names"]) == classes


@pytest.mark.parametrize(("task", "fmt"), DECLARED, indirect=["task"])
def test_every_declared_format_through_the_command_line_matches_pytorch(task: str, fmt: str, checkpoint: Path,
                                                                        tmp_path: Path) -> None:
    """``nnframe <task> export export.format=<fmt>`` for each format the task declares: the parity
    check passes, the file loads with its format's own loader and runs on real images (another
    batch size than the one exported, where the batch size is dynamic)."""
    out = tmp_path / "deploy"
    output = _nnframe(task, "export", f"ckpt_path={checkpoint}", f"export.format={fmt}", f"export.output_dir={out}",
                      f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path)
    suffix = EXPORT_FORMATS[fmt]
    assert f"exported {fmt} model: {out / ('model' + suffix)} (max difference from PyTorch" in output
    # TorchScript says it is deprecated and what to use; the others say nothing of it.
    assert ("TorchScript export is deprecated" in output and "export.format=pt2" in output) == (fmt == "torchscript")

    model, model_cfg, _ = load_model_from_checkpoint(_export_cfg(task, checkpoint, tmp_path))
    images = _real_inputs(model, model_cfg)
    path = str(out / f"model{suffix}")
    with torch.no_grad():
        expected = _outputs(model.export_module()(images))
        if fmt == "pt2":
            got = _outputs(torch.export.load(path).module()(images))
        elif fmt == "onnx":
            session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
            got = [torch.from_numpy(o) for o in session.run(None, {"images": images.numpy()})]
        else:
            got = _outputs(torch.jit.load(path)(images))
    assert len(got) == len(expected)
    for exported, pytorch in zip(got, expected, strict=True):
        torch.testing.assert_close(exported, pytorch, atol=1e-4, rtol=0)

    info = json.loads((out / "model.json").read_text())
    assert info["format"] == fmt and info["file"] == f"model{suffix}" and info["check"]["max_abs_diff"] <= 1e-4
    assert info["class_names"] == model.class_names
    assert info["load"].startswith({"pt2": "torch.export.load", "onnx": "onnxruntime", "torchscript": "torch.jit"}[fmt])


@pytest.mark.parametrize("task", list(REFUSED) or [pytest.param(None, marks=pytest.mark.skip(
    reason="every installed task exports to every format"))])
def test_an_undeclared_format_stops_before_the_checkpoint_is_read_and_its_hint_exports(
        task: str, trained: dict[str, Path], tmp_path_factory: pytest.TempPathFactory, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """``nnframe <task> export export.format=<fmt>`` (in-process) with a format the task's module
    does not declare: one line naming the formats it has and the override to use, before the
    checkpoint is read (it does not exist here) or any model is written; the override it names
    exports the trained model."""
    monkeypatch.setenv("NNFRAME_OUTPUT_DIR", str(tmp_path / "outputs"))
    hints = set()
    for fmt in REFUSED[task]:
        code, output = run_cli(capsys, task, "export", f"export.format={fmt}", f"ckpt_path={tmp_path / 'not_read.ckpt'}",
                               f"export.output_dir={tmp_path / 'out'}", f"hydra.run.dir={tmp_path / 'run'}")
        error = output.strip().splitlines()[-1]
        assert code == 2 and "Traceback" not in output, output[-2000:]
        assert error.startswith(f"nnframe: error: export.format={fmt} is not supported by {task}'s "), error
        assert f"which exports to {', '.join(FORMATS[task])}; use export.format=" in error
        hints.add(re.search(r"use (export\.format=\w+)$", error).group(1))
    assert not (tmp_path / "out").exists()

    (hint,) = hints
    result = export(_export_cfg(task, _train(task, trained, tmp_path_factory), tmp_path / "out", hint))
    assert result.path.suffix == EXPORT_FORMATS[hint.split("=")[1]] and result.max_abs_diff <= 1e-4


def test_unknown_format_names_the_choices(task: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="export.format='tflite'.*pt2, onnx, torchscript"):
        export(_export_cfg(task, tmp_path / "not_read.ckpt", tmp_path, "export.format=tflite"))
