"""Checkpoint writing that never leaves a truncated file, and checkpoint metadata."""

from nnframe.core.checkpointing.atomic_checkpoint_io import (
    AtomicCheckpointIO,
    atomic_text_write,
    atomic_torch_save,
    atomic_write,
)
from nnframe.core.checkpointing.checkpoint_compatibility import check_checkpoint_fits
from nnframe.core.checkpointing.checkpoint_metadata import read_checkpoint_metadata

__all__ = [
    "AtomicCheckpointIO",
    "atomic_text_write",
    "atomic_torch_save",
    "atomic_write",
    "check_checkpoint_fits",
    "read_checkpoint_metadata",
]
