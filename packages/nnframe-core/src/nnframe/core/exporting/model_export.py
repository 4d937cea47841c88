"""Exporting a task module to ``torch.export`` (``.pt2``), ONNX (the dynamo exporter) or TorchScript.

What is exported, to which formats, with which example inputs and names, is the task's to say
(``TaskModule.export_formats`` / ``export_module`` / ``export_inputs`` / ``export_names``; a task
that cannot be exported says why in ``export_unsupported``, and export then names itself not
applicable). A format the task does not list stops the export before the checkpoint is read. By
default the task module's ``forward`` on a float batch of normalised images, shape (batch,
channels, height, width). The input size and normalisation are written beside the model
(``<file>.json``) so that an inference runtime can prepare images the same way.

Each format is loaded back and compared with PyTorch on the check batch: ``pt2`` with
``torch.export.load(path).module()``, ``onnx`` with onnxruntime, ``torchscript`` with
``torch.jit.load`` (deprecated: Lightning deprecates ``to_torchscript`` and PyTorch TorchScript;
kept while Lightning's ``LightningModule`` still has it).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hydra
import lightning as L
import torch
from lightning.pytorch.utilities import rank_zero_info
from omegaconf import DictConfig

from nnframe.core.checkpointing import load_checkpoint, read_checkpoint_metadata
from nnframe.core.compat.lightning import jit_tracing
from nnframe.core.cv_tools import resolve_normalization
from nnframe.core.errors import CheckpointError, ConfigError
from nnframe.core.modules.not_applicable import not_applicable
from nnframe.core.output_dir import in_run_dir
from nnframe.core.training.checkpoint_config import apply_checkpoint_config
from nnframe.core.training.instantiate import build_model
from nnframe.core.training.run_summary import apply_extras, print_start_config

EXPORT_FORMATS = {"pt2": ".pt2", "onnx": ".onnx", "torchscript": ".pt"}
# How each format is loaded back (written to the JSON beside the model).
LOADERS = {
    "pt2": "torch.export.load(path).module()",
    "onnx": "onnxruntime.InferenceSession(path)",
    "torchscript": "torch.jit.load(path)",
}
TORCHSCRIPT_NOTE = ("note: TorchScript export is deprecated (Lightning deprecates to_torchscript, PyTorch "
                    "TorchScript); use export.format=pt2 (torch.export, loaded with torch.export.load) or "
                    "export.format=onnx")


@dataclass
class ExportResult:
    """What :func:`export_model` wrote.

    Args:
        path: the exported model.
        metadata_path: the JSON beside it (input size, normalisation, classes, check).
        max_abs_diff: largest difference from PyTorch on the check batch (None: not checked).
    """

    path: Path
    metadata_path: Path
    max_abs_diff: float | None


def load_model_from_checkpoint(cfg: DictConfig) -> tuple[L.LightningModule, DictConfig, dict[str, Any]]:
    """Rebuild the task module of ``cfg.ckpt_path`` from its saved config and load its weights.

    Returns:
        ``(model in eval mode on the CPU, the config with the checkpoint's model/data, metadata)``.
    """
    if not cfg.get("ckpt_path"):
        raise ConfigError("export needs a checkpoint: add ckpt_path=<run dir>/checkpoints/<file>.ckpt")
    metadata = read_checkpoint_metadata(cfg.ckpt_path, cfg.task_name)
    cfg = apply_checkpoint_config(cfg, metadata)
    model = build_model(cfg, metadata.get("class_names", []), weights_from_checkpoint=True)
    state = load_checkpoint(cfg.ckpt_path, mmap=False)["state_dict"]
    try:
        model.load_state_dict(state)
    except RuntimeError as error:
        raise CheckpointError(f"{cfg.ckpt_path} does not fit the configured model: {str(error)[:500]}") from error
    return model.eval().cpu(), cfg, metadata


def input_spec(cfg: DictConfig) -> dict[str, Any]:
    """Channels, image size and normalisation of the model input, from ``export`` or ``data``."""
    data = cfg.get("data") or {}
    size = cfg.export.get("image_size") or data.get("image_size")
    channels = cfg.export.get("in_channels") or data.get("in_channels") or cfg.model.get("in_chans") or 3
    if not size:
        raise ConfigError("export needs the input size: the data config has no image_size; "
                          "add export.image_size=<pixels>")
    height, width = (size, size) if isinstance(size, int) else tuple(size)
    spec: dict[str, Any] = {"channels": int(channels), "height": int(height), "width": int(width)}
    normalization = data.get("normalization")
    if normalization is not None:
        mean, std = resolve_normalization(normalization)
        spec["normalization"] = {
            "name": normalization if isinstance(normalization, str) else None,
            "mean": list(mean),
            "std": list(std),
        }
    return spec


def _flatten(outputs: Any) -> list[torch.Tensor]:
    """The tensors of a forward's outputs (a tensor, a tuple/list, or a dict), in order."""
    if isinstance(outputs, torch.Tensor):
        return [outputs]
    if isinstance(outputs, dict):
        outputs = list(outputs.values())
    return [t for item in outputs for t in _flatten(item)]


def _dynamic_shapes(inputs: tuple[torch.Tensor, ...], dynamic_batch: bool) -> tuple[dict[int, Any], ...] | None:
    """``torch.export``'s dynamic shapes: dimension 0 of every input is the same free batch size."""
    if not dynamic_batch:
        return None
    batch = torch.export.Dim("batch")
    return tuple({0: batch} for _ in inputs)


def _export_pt2(model: torch.nn.Module, inputs: tuple[torch.Tensor, ...], path: Path, dynamic_batch: bool) -> None:
    program = torch.export.export(model, inputs, dynamic_shapes=_dynamic_shapes(inputs, dynamic_batch))
    torch.export.save(program, str(path))


@contextlib.contextmanager
def _quiet_logger(name: str) -> Iterator[None]:
    """Only errors of logger ``name`` (and its children) while inside."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _export_onnx(model: torch.nn.Module, inputs: tuple[torch.Tensor, ...], path: Path, input_names: list[str],
                 output_names: list[str], opset: int | None, dynamic_batch: bool) -> None:
    # The torch.export-based exporter; it prints its steps, which say nothing a user acts on, and
    # when it cannot trace a model the whole traced graph: both are kept out of the output.
    captured = io.StringIO()
    try:
        with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured), _quiet_logger("torch"):
            program = torch.onnx.export(model, inputs, dynamo=True, input_names=input_names,
                                        output_names=output_names, opset_version=opset,
                                        dynamic_shapes=_dynamic_shapes(inputs, dynamic_batch), verbose=False)
    except Exception as error:  # noqa: BLE001 - any model torch.export cannot trace
        # Kept for models torch.export cannot trace (torchvision's detectors branch on their data):
        # the TorchScript-based exporter, deprecated with TorchScript, still traces them.
        text = re.sub(r"\x1b\[[0-9;]*m", "", str(error)).strip()
        reason = text.splitlines()[0].split(". ")[0][:200] if text else type(error).__name__
        rank_zero_info(f"export.format=onnx: torch.export cannot trace this model ({reason}); exporting with "
                       "torch.onnx's TorchScript-based exporter instead (dynamo=False, deprecated upstream)")
        axes = {name: {0: "batch"} for name in [*input_names, *output_names]} if dynamic_batch else None
        torch.onnx.export(model, inputs, str(path), dynamo=False, input_names=input_names,
                          output_names=output_names, opset_version=opset or 17, dynamic_axes=axes)
        return
    program.save(str(path))


def _run_exported(path: Path, fmt: str, inputs: tuple[torch.Tensor, ...]) -> list[torch.Tensor]:
    if fmt == "pt2":
        with torch.no_grad():
            return _flatten(torch.export.load(str(path)).module()(*inputs))
    if fmt == "torchscript":
        with torch.no_grad():
            return _flatten(torch.jit.load(str(path), map_location="cpu")(*inputs))
    try:
        import onnxruntime
    except ImportError as error:
        raise ConfigError("checking an ONNX export needs onnxruntime (uv sync installs it with the dev "
                          "dependencies; or pip install onnxruntime), or add export.verify=false") from error
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feed = {node.name: tensor.numpy() for node, tensor in zip(session.get_inputs(), inputs, strict=False)}
    return [torch.from_numpy(o) for o in session.run(None, feed)]


# What to try when a format's export differs from PyTorch.
_ATOL_HINT = {
    "pt2": "try export.format=onnx",
    "onnx": "try another export.opset or export.format=pt2",
    "torchscript": "try export.format=pt2",
}


def _check_format(fmt: str) -> None:
    """A known format, TorchScript only while Lightning still supports it, and ONNX's exporter installed."""
    if fmt not in EXPORT_FORMATS:
        raise ConfigError(f"export.format={fmt!r} is not supported; choose one of: {', '.join(EXPORT_FORMATS)}")
    if fmt == "torchscript" and not hasattr(L.LightningModule, "to_torchscript"):
        raise ConfigError(f"export.format=torchscript: Lightning {L.__version__} no longer supports TorchScript; "
                          "use export.format=pt2 (torch.export) or export.format=onnx")
    if fmt == "onnx":
        try:  # the dynamo exporter's own dependency, imported by torch.onnx only once it runs
            import onnxscript  # noqa: F401
        except ImportError as error:
            raise ConfigError("export.format=onnx needs onnxscript (uv sync installs it with the dev dependencies; "
                              "or pip install onnx onnxscript), or use export.format=pt2") from error


def export_formats_of(model: Any) -> tuple[str, ...]:
    """The formats a task module (instance or class) exports to: its ``export_formats``, else all
    of :data:`EXPORT_FORMATS` (a plain ``nn.Module``)."""
    return tuple(getattr(model, "export_formats", None) or EXPORT_FORMATS)


def _configured_model_class(cfg: DictConfig) -> type | None:
    """``cfg.model._target_`` as a class, imported but not built; None when it is not a class."""
    target = (cfg.get("model") or {}).get("_target_")
    try:
        model_class = hydra.utils.get_class(str(target)) if target else None
    except Exception:  # noqa: BLE001 - a wrong _target_: building the model says so, later
        return None
    return model_class if isinstance(model_class, type) else None


def task_export_formats(cfg: DictConfig) -> tuple[str, ...]:
    """The formats the configured model (``cfg.model._target_``'s class) exports to, read from its
    class without building it; all of :data:`EXPORT_FORMATS` when the target is not a class."""
    model_class = _configured_model_class(cfg)
    return export_formats_of(model_class) if model_class is not None else tuple(EXPORT_FORMATS)


def _check_task_format(fmt: str, formats: tuple[str, ...], owner: str) -> None:
    """``fmt`` is one of the task's ``formats``; else a one-line error naming them and the override."""
    if fmt not in formats:
        raise ConfigError(f"export.format={fmt} is not supported by {owner}, which exports to "
                          f"{', '.join(formats)}; use export.format={formats[0]}")


def _max_abs_diff(model: torch.nn.Module, path: Path, fmt: str, batches: list[tuple[torch.Tensor, ...]],
                  rtol: float = 0.0) -> tuple[float, float]:
    """``(largest difference, largest difference beyond rtol x |PyTorch's value|)`` between PyTorch
    and the exported model over ``batches`` (input tuples): the second is what ``atol`` bounds, as
    in ``numpy.allclose`` (float32 rounding grows with the values)."""
    worst = beyond = 0.0
    for inputs in batches:
        with torch.no_grad():
            expected = _flatten(model(*inputs))
        got = _run_exported(path, fmt, inputs)
        if len(got) != len(expected) or any(g.shape != e.shape for g, e in zip(got, expected, strict=False)):
            raise RuntimeError(f"the exported model returns shapes {[tuple(g.shape) for g in got]}, "
                               f"PyTorch {[tuple(e.shape) for e in expected]}")
        for g, e in zip(got, expected, strict=True):
            difference = (g.float() - e.float()).abs()
            worst = max(worst, float(difference.max()))
            beyond = max(beyond, float((difference - rtol * e.float().abs()).max()))
    return worst, beyond


def _example_inputs(model: torch.nn.Module, spec: dict[str, Any], batch_size: int) -> tuple[torch.Tensor, ...]:
    """The task's example inputs for ``batch_size`` (``export_inputs``), else a batch of images."""
    export_inputs = getattr(model, "export_inputs", None)
    if callable(export_inputs):
        return tuple(export_inputs({**spec, "batch_size": batch_size}))
    generator = torch.Generator().manual_seed(batch_size)
    return (torch.randn(batch_size, spec["channels"], spec["height"], spec["width"], generator=generator),)


def _names(model: torch.nn.Module, outputs: list[torch.Tensor]) -> tuple[list[str], list[str]]:
    """Input and output names from the task's ``export_names``; one output name for several
    outputs becomes ``<name>_0``, ``<name>_1``..."""
    export_names = getattr(model, "export_names", None)
    input_names, output_names = export_names() if callable(export_names) else (["images"], ["outputs"])
    input_names, output_names = list(input_names), list(output_names)
    if len(output_names) != len(outputs):
        base = output_names[0] if len(output_names) == 1 else "outputs"
        output_names = [base] if len(outputs) == 1 else [f"{base}_{i}" for i in range(len(outputs))]
    return input_names, output_names


def export_model(
    model: torch.nn.Module,
    spec: dict[str, Any],
    output_path: str | Path,
    fmt: str = "onnx",
    batch_size: int = 2,
    opset: int | None = None,
    dynamic_batch: bool = True,
    verify: bool = True,
    atol: float = 1e-4,
    rtol: float = 1e-4,
    metadata: dict[str, Any] | None = None,
) -> ExportResult:
    """Export what ``model`` exports (a task module's ``export_module()``, else ``model``) for the
    inputs its ``export_inputs`` gives, and check it against PyTorch.

    Args:
        model: a task module (or any module taking an image batch); put in eval mode here.
        spec: ``channels``, ``height``, ``width`` and optionally ``normalization`` (see :func:`input_spec`).
        output_path: the file to write (``.pt2``, ``.onnx`` or ``.pt``).
        fmt: ``pt2`` (``torch.export``), ``onnx`` (the dynamo exporter) or ``torchscript`` (deprecated).
        batch_size: size of the example batch traced and checked.
        opset: ONNX opset version (None: the exporter's default).
        dynamic_batch: the exported model accepts any batch size (checked on a second batch size).
        verify: run the exported model and compare its outputs with PyTorch's.
        atol, rtol: ``verify`` accepts outputs within ``atol + rtol * |PyTorch's output|`` of
            PyTorch's, element by element (``numpy.allclose``).
        metadata: more fields for the JSON written beside the model (task, classes, checkpoint).

    Returns:
        Where the model and its JSON went, and the difference found by ``verify``.

    Raises:
        ConfigError: unknown format, a format the task does not export to (its
            ``export_formats``), a task that cannot be exported (its ``export_unsupported``), or
            outputs further than ``atol`` from PyTorch's.
    """
    _check_format(fmt)
    _check_task_format(fmt, export_formats_of(model), type(model).__name__)
    unsupported = getattr(model, "export_unsupported", None)
    reason = unsupported() if callable(unsupported) else None
    if reason:
        raise ConfigError(f"{type(model).__name__} cannot be exported: {reason}")
    model = model.eval().cpu()
    export_module = getattr(model, "export_module", None)
    module = export_module().eval() if callable(export_module) else model
    path = Path(output_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    inputs = _example_inputs(model, spec, batch_size)
    with torch.no_grad():
        outputs = _flatten(module(*inputs))
    input_names, output_names = _names(model, outputs)

    if fmt == "pt2":
        _export_pt2(module, inputs, path, dynamic_batch)
    elif fmt == "onnx":
        _export_onnx(module, inputs, path, input_names, output_names, opset, dynamic_batch)
    else:
        rank_zero_info(TORCHSCRIPT_NOTE)
        # Lightning's `trainer` property raises outside a Trainer unless it knows a trace runs.
        with jit_tracing(module), torch.no_grad():
            traced = torch.jit.trace(module, inputs, strict=False)
        torch.jit.save(traced, str(path))

    max_diff = None
    if verify:
        batches = [inputs]
        if dynamic_batch or fmt == "torchscript":
            batches.append(_example_inputs(model, spec, batch_size + 1))
        max_diff, beyond = _max_abs_diff(module, path, fmt, batches, rtol)
        if beyond > atol:
            raise ConfigError(f"the {fmt} export differs from PyTorch by {max_diff:.2e} (more than "
                              f"export.atol={atol} + export.rtol={rtol} x the value); "
                              f"{_ATOL_HINT[fmt]}, or raise export.atol if the difference is expected")

    shape = (spec["channels"], spec["height"], spec["width"])
    info = {
        "format": fmt,
        "file": path.name,
        "load": LOADERS[fmt],
        "input": {
            "name": input_names[0],
            "shape": ["batch" if dynamic_batch else batch_size, *shape],
            "dtype": "float32",
            "layout": "NCHW, RGB",
            "preprocessing": "resize to height x width, scale to [0, 1], then (x - mean) / std per channel",
        },
        "normalization": spec.get("normalization"),
        "outputs": [{"name": n, "shape": ["batch", *o.shape[1:]]} for n, o in zip(output_names, outputs, strict=True)],
        "check": {"max_abs_diff": max_diff, "atol": atol, "rtol": rtol} if verify else None,
        "torch_version": torch.__version__,
        **(metadata or {}),
    }
    if len(inputs) > 1:
        info["inputs"] = [{"name": n, "shape": ["batch", *t.shape[1:]], "dtype": str(t.dtype).removeprefix("torch.")}
                          for n, t in zip(input_names, inputs, strict=False)]
    metadata_path = path.with_suffix(".json")
    metadata_path.write_text(json.dumps(info, indent=2))
    return ExportResult(path=path, metadata_path=metadata_path, max_abs_diff=max_diff)


def export(cfg: DictConfig) -> ExportResult | None:
    """Export ``cfg.ckpt_path``'s model as set in ``cfg.export`` (format, output_dir, ...); None,
    said as not applicable, for a task whose module cannot be exported (``export_unsupported``).

    Raises:
        ConfigError: an unknown ``export.format``, or one the configured model's class does not
            list in ``export_formats``: both before the checkpoint is read.
    """
    fmt = str(cfg.export.format)
    _check_format(fmt)
    model_class = _configured_model_class(cfg)
    owner = f"{cfg.get('task_name') or 'this task'}'s {model_class.__name__ if model_class else 'model'}"
    _check_task_format(fmt, task_export_formats(cfg), owner)
    model, cfg, metadata = load_model_from_checkpoint(cfg)
    apply_extras(cfg)
    print_start_config(cfg)  # the checkpoint is read: a started run
    unsupported = getattr(model, "export_unsupported", None)
    reason = unsupported() if callable(unsupported) else None
    if reason:
        not_applicable("export", reason)
        return None
    settings = cfg.export
    path = in_run_dir(settings.output_dir, cfg.paths.output_dir) / f"{settings.file_name}{EXPORT_FORMATS[fmt]}"
    result = export_model(
        model, input_spec(cfg), path, fmt=fmt, batch_size=int(settings.batch_size),
        opset=None if settings.opset is None else int(settings.opset), dynamic_batch=bool(settings.dynamic_batch),
        verify=bool(settings.verify), atol=float(settings.atol), rtol=float(settings.get("rtol", 1e-4)),
        metadata={"task": cfg.task_name, "checkpoint": str(Path(cfg.ckpt_path).resolve()),
                  "class_names": list(metadata.get("class_names", []))},
    )
    checked = f" (max difference from PyTorch {result.max_abs_diff:.1e})" if result.max_abs_diff is not None else ""
    rank_zero_info(f"exported {fmt} model: {result.path}{checked}\ninput size and normalisation: {result.metadata_path}")
    return result


def export_from_cli(cfg: DictConfig) -> None:
    """What ``nnframe <task> export`` runs."""
    export(cfg)
