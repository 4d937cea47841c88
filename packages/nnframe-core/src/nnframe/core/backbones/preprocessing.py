"""The input preprocessing that pretrained weights expect (mean, std, interpolation, crop)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nnframe.core.backbones.pretrained_weights import read_nnframe_backbone_file
from nnframe.core.backbones.registry import _REGISTRY


@dataclass(frozen=True)
class Preprocessing:
    """What a model's pretrained weights were trained with.

    Attributes:
        mean, std: per-channel normalisation, in [0, 1] units.
        source: where the values come from (printed at the start of a run).
        interpolation: resize interpolation (``bilinear``, ``bicubic``), None when unknown.
        crop_pct: evaluation centre-crop fraction (resize to ``size / crop_pct``, crop ``size``).
        input_size: image side the weights were trained at.
    """

    mean: tuple[float, ...]
    std: tuple[float, ...]
    source: str
    interpolation: str | None = None
    crop_pct: float | None = None
    input_size: int | None = None


def timm_preprocessing(name: str) -> Preprocessing | None:
    """The preprocessing in timm's ``pretrained_cfg`` of ``name`` (``convnext_tiny`` or a tagged
    ``convnext_tiny.fb_in1k``), without building the model; None if timm has no weights for it."""
    import timm
    from timm.data import resolve_data_config
    from timm.models import get_pretrained_cfg

    if name in _REGISTRY or not timm.is_model(name):
        return None
    cfg = get_pretrained_cfg(name)
    if cfg is None:
        return None
    resolved = resolve_data_config(pretrained_cfg=cfg.to_dict())
    tagged = f"{cfg.architecture}.{cfg.tag}" if cfg.tag else cfg.architecture
    return Preprocessing(
        mean=tuple(float(m) for m in resolved["mean"]),
        std=tuple(float(s) for s in resolved["std"]),
        source=f"timm's pretrained_cfg of {tagged}",
        interpolation=str(resolved.get("interpolation") or "bilinear"),
        crop_pct=float(resolved["crop_pct"]) if resolved.get("crop_pct") else None,
        input_size=int(resolved["input_size"][-1]),
    )


def nnframe_file_preprocessing(path: str | Path) -> Preprocessing | None:
    """The normalisation an nnframe backbone file's training run used (``nnframe ssl export``
    records it), or None for other files and older exports."""
    from nnframe.core.cv_tools.normalization import resolve_normalization

    if not Path(path).is_file():
        return None  # building the model says so
    payload = read_nnframe_backbone_file(path)
    metadata = (payload or {}).get("metadata") or {}
    if "normalization" not in metadata:
        return None
    mean, std = resolve_normalization(metadata["normalization"])
    size = metadata.get("image_size")
    return Preprocessing(mean, std, source=f"the run that exported {path} ({metadata.get('method', 'nnframe')})",
                         input_size=int(size) if size else None)


def backbone_preprocessing(name: str, pretrained: bool = False,
                           pretrained_file: str | Path | None = None) -> Preprocessing | None:
    """The preprocessing of a backbone's pretrained weights, or None without pretrained weights.

    An nnframe backbone file gives its training run's normalisation; any other weights of a timm
    model (downloaded, or a local file of them) give timm's ``pretrained_cfg`` of ``name``.
    """
    if pretrained_file:
        from_file = nnframe_file_preprocessing(pretrained_file)
        if from_file is not None or (Path(pretrained_file).is_file()
                                     and read_nnframe_backbone_file(pretrained_file) is not None):
            return from_file
    if pretrained or pretrained_file:
        return timm_preprocessing(name)
    return None
