"""Reading what nnframe stores in a checkpoint (task, composed config, class names)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from nnframe.core.errors import CheckpointError


def read_checkpoint_metadata(path: str | Path, task_name: str | None = None) -> dict[str, Any]:
    """Load a checkpoint's ``nnframe`` entry, checking that it exists and fits the task.

    Raises:
        CheckpointError: missing or unreadable file, or a checkpoint of another task.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path} (give ckpt_path=<run dir>/checkpoints/last.ckpt)")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=False, mmap=True)
    except Exception as error:  # a damaged file raises many types
        raise CheckpointError(f"cannot read checkpoint {path}: {error}") from error
    if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint:
        raise CheckpointError(f"{path} is not a Lightning checkpoint (no state_dict)")
    metadata = dict(checkpoint.get("nnframe", {}))
    found = metadata.get("task")
    if task_name is not None and found is not None and found != task_name:
        raise CheckpointError(
            f"{path} was trained by task {found!r}, not {task_name!r}; use `nnframe {found} ...` with it"
        )
    return metadata
