"""A task-independent file format for backbone weights (e.g. SSL export -> classification).

The file is a ``torch.save``d dict: ``{"format": "nnframe.backbone", "version": 1,
"backbone": name, "state_dict": {...}, "metadata": {...}}``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from torch import nn

from nnframe.core.checkpointing.atomic_checkpoint_io import atomic_torch_save
from nnframe.core.checkpointing.safe_load import load_checkpoint
from nnframe.core.errors import CheckpointError

FORMAT = "nnframe.backbone"


def save_backbone_weights(path: str | Path, backbone: nn.Module, name: str,
                          metadata: dict[str, Any] | None = None) -> Path:
    """Write ``backbone``'s weights atomically (temp file + rename) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": FORMAT,
        "version": 1,
        "backbone": name,
        "state_dict": {k: v.detach().cpu() for k, v in backbone.state_dict().items()},
        "metadata": metadata or {},
    }
    atomic_torch_save(payload, path)
    return path


def load_backbone_weights(backbone: nn.Module, path: str | Path, expected_name: str | None = None) -> dict[str, Any]:
    """Load a file written by :func:`save_backbone_weights` into ``backbone`` (strictly).

    Returns:
        The file's metadata.

    Raises:
        CheckpointError: missing or unreadable file, another format, another backbone, or
            weights that do not fit.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"backbone weights not found: {path}")
    payload = load_checkpoint(path, what="backbone weights", mmap=False)  # weights_only=True, nnframe's messages
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(
            f"{path} is not an nnframe backbone file; write one with `nnframe ssl export ckpt_path=...`"
        )
    if expected_name is not None and payload["backbone"] != expected_name:
        raise CheckpointError(
            f"{path} holds weights of backbone {payload['backbone']!r}, but the model uses {expected_name!r}; "
            f"set model.backbone={payload['backbone']} (or use weights of {expected_name!r})"
        )
    try:
        backbone.load_state_dict(payload["state_dict"], strict=True)
    except RuntimeError as error:
        raise CheckpointError(f"weights in {path} do not fit the backbone: {error}") from error
    return dict(payload.get("metadata", {}))
