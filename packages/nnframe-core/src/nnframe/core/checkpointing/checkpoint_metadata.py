"""Reading what nnframe stores in a checkpoint (task, composed config, class names)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nnframe.core.checkpointing.safe_load import load_checkpoint
from nnframe.core.errors import CheckpointError


def read_checkpoint_metadata(path: str | Path, task_name: str | None = None) -> dict[str, Any]:
    """Load a checkpoint's ``nnframe`` entry, checking that it exists and fits the task.

    The file is loaded with ``weights_only=True`` (:func:`load_checkpoint`): a checkpoint is data.

    Raises:
        CheckpointError: missing or unreadable file, a file that is not a plain checkpoint, or a
            checkpoint of another task.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path} (give ckpt_path=<run dir>/checkpoints/last.ckpt)")
    checkpoint = load_checkpoint(path)
    if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint:
        raise CheckpointError(f"{path} is not a Lightning checkpoint (no state_dict)")
    metadata = checkpoint.get("nnframe", {})
    if not isinstance(metadata, dict):
        raise CheckpointError(f"{path} is not an nnframe checkpoint (its nnframe entry is not a mapping)")
    metadata = dict(metadata)
    found = metadata.get("task")
    if task_name is not None and found is not None and found != task_name:
        raise CheckpointError(
            f"{path} was trained by task {found!r}, not {task_name!r}; use `nnframe {found} ...` with it"
        )
    return metadata
