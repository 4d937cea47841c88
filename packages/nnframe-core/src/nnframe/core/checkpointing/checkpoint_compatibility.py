"""Checking, before any work starts, that a checkpoint fits the task and the configured model."""

from __future__ import annotations

from pathlib import Path

from torch import nn

from nnframe.core.checkpointing.checkpoint_metadata import read_checkpoint_metadata
from nnframe.core.checkpointing.safe_load import load_checkpoint
from nnframe.core.errors import CheckpointError

_SHOWN = 5


def check_checkpoint_fits(path: str | Path, model: nn.Module, task_name: str | None = None) -> None:
    """Raise :class:`CheckpointError` unless ``path`` is a checkpoint of ``task_name`` whose
    weights have exactly the names and shapes of ``model``'s.

    Lightning would otherwise fail deep inside ``load_state_dict`` (or, for a resume, after
    the data is loaded) with a long list of tensor names.
    """
    read_checkpoint_metadata(path, task_name)  # missing, unreadable, or another task
    state = load_checkpoint(path)["state_dict"]
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    mismatched = [f"{name} {tuple(state[name].shape)} vs {tuple(expected[name].shape)}"
                  for name in expected if name in state and state[name].shape != expected[name].shape]
    if not (missing or unexpected or mismatched):
        return
    details = []
    for title, names in (("shape (checkpoint vs model)", mismatched), ("missing", missing),
                         ("unexpected", unexpected)):
        if names:
            more = f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else ""
            details.append(f"{title}: {', '.join(names[:_SHOWN])}{more}")
    raise CheckpointError(
        f"{path} does not fit the configured model ({'; '.join(details)}). Use the model options the "
        "checkpoint was trained with (drop model.* overrides, or pass the same model=/data.num_classes)."
    )
