"""Pretrained weights for a backbone: timm's download or a local file, and a report of what was loaded.

A local file may be timm's own format (``pytorch_model.bin`` / ``model.safetensors`` from the
Hugging Face hub, a ``.pth`` of the original repository), any ``state_dict`` (also nested under
``state_dict`` / ``model``), or an nnframe backbone file written by ``nnframe ssl export``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from lightning.pytorch.utilities import rank_zero_info
from torch import nn

from nnframe.core.backbones.backbone_weights import FORMAT
from nnframe.core.backbones.hub_weights import local_weights_or_raise, weights_unavailable
from nnframe.core.checkpointing.safe_load import load_checkpoint
from nnframe.core.compat.timm import capture_pretrained_load
from nnframe.core.errors import CheckpointError

_SHOWN = 8


@dataclass
class WeightsReport:
    """What loading pretrained weights did, for the run output.

    Attributes:
        target: what received the weights (``backbone resnet18``, ``encoder resnet34``).
        source: where they came from (a path, or ``timm download of <model>.<tag>``).
        kind: the format (``timm``, ``state dict``, ``nnframe backbone file``).
        loaded: tensors of the target that now hold the source's values.
        total: tensors of the target (parameters and buffers).
        missing: target tensors the source did not have (they keep their initialisation).
        unexpected: source tensors the target has no place for (not used).
        notes: anything else worth saying (a dropped classifier, the file's metadata).
    """

    target: str
    source: str
    kind: str
    loaded: int
    total: int
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def message(self) -> str:
        """One paragraph: ``pretrained weights: ... -> ...: N of M tensors loaded; ...``."""
        lines = [f"pretrained weights: {self.source} ({self.kind}) -> {self.target}: "
                 f"{self.loaded} of {self.total} tensors loaded"]
        for title, names in (("not in the weights (left as initialised)", self.missing),
                             ("in the weights but not used", self.unexpected)):
            if names:
                more = f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else ""
                lines.append(f"  {title}: {', '.join(names[:_SHOWN])}{more}")
        lines += [f"  {note}" for note in self.notes]
        return "\n".join(lines)

    def log(self) -> WeightsReport:
        """Print :meth:`message` (rank 0; marked as a warning when tensors were missing) and return ``self``."""
        rank_zero_info(("WARNING " if self.missing else "") + self.message())
        return self


def _tensor_count(module: nn.Module) -> int:
    return len(module.state_dict())


def _torch_load(path: Path) -> Any:
    if not path.is_file():
        raise CheckpointError(f"pretrained weights file not found: {path} (check model.pretrained_file)")
    if path.suffix == ".safetensors":
        return None  # never an nnframe backbone file
    # weights_only=True, and nnframe's own message for a file that needs more (never torch's
    # advice to load it unsafely); legacy (non-zip) files are read without memory-mapping.
    return load_checkpoint(path, what="pretrained weights (model.pretrained_file)")


def read_nnframe_backbone_file(path: str | Path) -> dict[str, Any] | None:
    """The payload of an nnframe backbone file (``backbone``, ``state_dict``, ``metadata``), or
    None when ``path`` holds another format."""
    payload = _torch_load(Path(path))
    if isinstance(payload, dict) and payload.get("format") == FORMAT:
        return payload
    return None


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """A weights file as a flat state dict, with timm's reader (safetensors or torch files; the
    ``state_dict`` / ``model`` entry of a training checkpoint; ``module.`` prefixes removed)."""
    from timm.models import load_state_dict

    path = Path(path)
    _torch_load(path)  # a clear error for a missing or unreadable file
    try:
        with capture_pretrained_load():  # its "Loaded ... from checkpoint" line: the report says it
            return load_state_dict(str(path))
    except Exception as error:
        raise CheckpointError(f"cannot read pretrained weights {path}: {error}") from error


def load_state_dict_reporting(module: nn.Module, state_dict: Mapping[str, torch.Tensor], target: str,
                              source: str, kind: str) -> WeightsReport:
    """Load ``state_dict`` into ``module`` non-strictly and report what fitted.

    Raises:
        CheckpointError: a tensor has another shape, or no tensor at all was loaded (weights
            of another model: a silent random start would look like a bad run).
    """
    expected = module.state_dict()
    mismatched = [f"{name} {tuple(value.shape)} vs {tuple(expected[name].shape)}"
                  for name, value in state_dict.items() if name in expected and value.shape != expected[name].shape]
    if mismatched:
        raise CheckpointError(f"weights in {source} do not fit {target}: shape (weights vs model) "
                              f"{', '.join(mismatched[:_SHOWN])}; are they weights of another model?")
    # Counted by name (BatchNorm does not report a missing num_batches_tracked, and smp's encoders
    # return nothing from load_state_dict); a module may drop keys it never uses (smp: the fc).
    loaded = sum(name in state_dict for name in expected)
    if loaded == 0:
        raise CheckpointError(
            f"none of the {len(expected)} tensors of {target} is in {source} (it holds "
            f"{', '.join(list(state_dict)[:4])}, ...); is it a file of another model?")
    given = dict(state_dict)
    module.load_state_dict(given, strict=False)
    missing = [name for name in expected if name not in state_dict]
    unexpected = [name for name in given if name not in expected]
    return WeightsReport(target, source, kind, loaded, len(expected), missing, unexpected)


def load_weights_file(module: nn.Module, path: str | Path, target: str, expected_name: str | None = None,
                      key_prefix: str = "") -> WeightsReport:
    """Load a local weights file (state dict or nnframe backbone file) into ``module``.

    Args:
        module: what receives the weights.
        path: the file.
        target: how the report names ``module``.
        expected_name: for an nnframe backbone file, the backbone name it must have been written for.
        key_prefix: prepended to the file's keys (e.g. ``model.`` for smp's timm encoders).

    Raises:
        CheckpointError: missing/unreadable file, another backbone, shapes that do not fit.
    """
    path = Path(path)
    payload = read_nnframe_backbone_file(path)
    if payload is not None:
        if expected_name is not None and payload["backbone"] != expected_name:
            raise CheckpointError(
                f"{path} holds weights of backbone {payload['backbone']!r}, but the model uses {expected_name!r}; "
                f"set the model's backbone to {payload['backbone']}")
        state, kind = payload["state_dict"], "nnframe backbone file"
        metadata = dict(payload.get("metadata") or {})
    else:
        state, kind, metadata = read_state_dict(path), "state dict", {}
    state = {f"{key_prefix}{k}": v for k, v in state.items()}
    report = load_state_dict_reporting(module, state, target, str(path), kind)
    if metadata:
        origin = ", ".join(f"{k} {v}" for k, v in metadata.items() if k in ("source", "method", "checkpoint"))
        report.notes.append(f"written by `nnframe ssl export` ({origin})" if metadata.get("source") == "nnframe ssl"
                            else f"metadata: {origin}")
    return report


def timm_pretrained_overlay(path: str | Path, expected_name: str | None = None) -> dict[str, Any]:
    """timm's ``pretrained_cfg_overlay`` that loads a local file through timm's own loader: the
    file itself, or the ``state_dict`` of an nnframe backbone file (of ``expected_name``)."""
    payload = read_nnframe_backbone_file(path)
    if payload is not None:
        if expected_name is not None and payload["backbone"] != expected_name:
            raise CheckpointError(f"{path} holds weights of backbone {payload['backbone']!r}, not {expected_name!r}")
        return {"state_dict": dict(payload["state_dict"])}
    _torch_load(Path(path))  # a clear error for a missing or unreadable file
    return {"file": str(path)}


def create_with_timm_loader(build: Callable[[], nn.Module], weights_module: Callable[[nn.Module], nn.Module],
                            target: str, source: str) -> tuple[nn.Module, WeightsReport]:
    """Build a model whose constructor loads timm pretrained weights, and report the load.

    Args:
        build: builds the model (``timm.create_model(..., pretrained=True, ...)`` or an smp model
            on a ``tu-`` encoder); timm's loader logs the keys it could not place, collected here.
        weights_module: the part of the built model that received the weights.
        target: how the report names that part.
        source: where the weights came from.

    Raises:
        CheckpointError: the weights do not fit (another model, another shape).
    """
    try:
        with capture_pretrained_load() as records:
            model = build()
    except (RuntimeError, KeyError, ValueError, AssertionError) as error:  # size mismatch, a key timm's filter needs
        raise CheckpointError(f"cannot load {source} into {target}: {str(error)[:600]}") from error
    module = weights_module(model)
    cfg = getattr(module, "pretrained_cfg", None) or {}
    classifier = cfg.get("classifier") or _architecture_classifier(cfg)
    classifiers = (classifier,) if isinstance(classifier, str) else tuple(classifier)
    # timm drops the weights' classifier (the number of classes differs) and may then list it as
    # missing from the model it loads into before cutting the head off (features_only)
    missing = [k for k in records.missing if not k.startswith(tuple(f"{c}." for c in classifiers))]
    total = _tensor_count(module)
    report = WeightsReport(target, source, "timm", total - len(missing), total, missing, list(records.unexpected),
                           list(records.other))
    if classifiers:
        report.notes.insert(0, f"the weights' classifier ({', '.join(classifiers)}) is not used: nnframe puts its "
                               "own head on top")
    if report.loaded <= 0:
        raise CheckpointError(f"none of the tensors of {target} is in {source}; is it a file of another model?")
    return model, report.log()


def _architecture_classifier(cfg: Mapping[str, Any]) -> tuple[str, ...]:
    """The classifier name of the weights behind a features-only model (whose cfg drops it)."""
    from timm.models import get_pretrained_cfg

    name = cfg.get("architecture")
    full = get_pretrained_cfg(f"{name}.{cfg['tag']}" if cfg.get("tag") else name) if name else None
    classifier = getattr(full, "classifier", None) if full is not None else None
    return (classifier,) if isinstance(classifier, str) else tuple(classifier or ())


def create_timm_backbone(name: str, pretrained: bool = False, pretrained_file: str | Path | None = None,
                         in_chans: int = 3, **kwargs: Any) -> tuple[nn.Module, WeightsReport | None]:
    """A timm model without classifier (``num_classes=0``), with its pretrained weights.

    ``pretrained=True`` downloads the weights of ``name`` (``convnext_tiny``, or a tagged
    ``convnext_tiny.fb_in1k``) as timm does; ``pretrained_file`` loads them from a local file
    through the same timm loader (``pretrained_cfg_overlay=dict(file=...)``: timm's key filter,
    input-channel adaptation and classifier removal apply). An nnframe backbone file is loaded
    as written by ``nnframe ssl export`` (checked to be of the same backbone).

    Returns:
        The model and, with weights, the report of what was loaded (also printed).

    Raises:
        CheckpointError: the weights cannot be read or do not fit the model.
    """
    import timm

    if pretrained_file is not None and read_nnframe_backbone_file(pretrained_file) is not None:
        model = timm.create_model(name, pretrained=False, num_classes=0, in_chans=in_chans, **kwargs)
        return model, load_weights_file(model, pretrained_file, f"backbone {name}", expected_name=name).log()
    if not pretrained and pretrained_file is None:
        return timm.create_model(name, pretrained=False, num_classes=0, in_chans=in_chans, **kwargs), None
    overlay = timm_pretrained_overlay(pretrained_file) if pretrained_file is not None else None
    hub_cfg = timm.models.get_pretrained_cfg(name) if pretrained_file is None else None
    repo_id = getattr(hub_cfg, "hf_hub_id", None)
    cached = local_weights_or_raise(repo_id)  # no network: the cached file, or one error with the fix
    if cached is not None:
        overlay = {"file": cached}

    def build() -> nn.Module:
        return timm.create_model(name, pretrained=True, pretrained_cfg_overlay=overlay, num_classes=0,
                                 in_chans=in_chans, **kwargs)

    if pretrained_file is not None:
        source = str(pretrained_file)
    else:
        cfg = timm.models.get_pretrained_cfg(name)
        source = f"timm download of {cfg.architecture}.{cfg.tag}" if cfg is not None and cfg.tag else f"timm's {name}"
    try:
        return create_with_timm_loader(build, lambda model: model, f"backbone {name}", source)
    except OSError as error:  # the Hub failed during the download (huggingface_hub's errors are OSErrors)
        if repo_id is None or pretrained_file is not None:
            raise
        raise weights_unavailable(repo_id, str(error).splitlines()[0][:200]) from None
