"""Checkpoint writing that never leaves a truncated file, safe loading (data, never code), metadata."""

from nnframe.core.checkpointing.atomic_checkpoint_io import (
    AtomicCheckpointIO,
    atomic_text_write,
    atomic_torch_save,
    atomic_write,
)
from nnframe.core.checkpointing.checkpoint_compatibility import check_checkpoint_fits
from nnframe.core.checkpointing.checkpoint_metadata import read_checkpoint_metadata
from nnframe.core.checkpointing.safe_load import load_checkpoint

__all__ = [
    "AtomicCheckpointIO",
    "atomic_text_write",
    "atomic_torch_save",
    "atomic_write",
    "check_checkpoint_fits",
    "load_checkpoint",
    "read_checkpoint_metadata",
]
