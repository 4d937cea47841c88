"""Checkpoints written to a temporary file in the same folder, then renamed into place.

A kill at any moment leaves either the old complete file or the new complete file: rename
within one filesystem is atomic, and the data is fsynced before it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import torch
from lightning.pytorch.plugins.io import TorchCheckpointIO

from nnframe.core.errors import TrainingError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


def no_space_message(path: str | Path, what: str) -> str:
    """One line for a full disk (or quota) while writing ``what`` to ``path``, with the fix."""
    try:
        usage = shutil.disk_usage(Path(path).parent)
        free = f" ({usage.free / 2**20:.0f} MB free of {usage.total / 2**20:.0f} MB)"
    except OSError:
        free = ""
    return (f"no space left on the device while writing the {what} {path}{free}: free space there, or "
            "write runs to another disk with paths.log_dir=/path/to/outputs")


_NEARLY_FULL = 4 * 2**20  # bytes free under which a failed write is taken for a full disk


def _is_no_space(error: BaseException, folder: Path) -> bool:
    """Whether a write into ``folder`` failed for want of space. torch.save reports a full disk
    as a RuntimeError of its zip writer ("unexpected pos ..."), without the errno: a write error
    on a disk left (nearly) without space is taken for one."""
    if isinstance(error, OSError) and error.errno in _NO_SPACE:
        return True
    if not isinstance(error, OSError | RuntimeError):
        return False
    try:
        return shutil.disk_usage(folder).free < _NEARLY_FULL
    except OSError:
        return False


def atomic_write(path: str | Path, write: Callable[[BinaryIO], None], what: str = "file") -> None:
    """Call ``write(handle)`` on a temporary file beside ``path``, fsync, then rename it into place.

    Raises:
        TrainingError: the disk is full (the message names ``what`` and ``path``); the
            previous file at ``path`` is kept and the temporary file removed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        if error.errno in _NO_SPACE:
            raise TrainingError(no_space_message(path, what)) from error
        raise
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual permissions
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as error:
        # Asked before the partial file is removed and frees its space.
        message = no_space_message(path, what) if _is_no_space(error, path.parent) else None
        Path(tmp).unlink(missing_ok=True)
        if message is not None:
            raise TrainingError(message) from error
        raise
    # Make the rename itself durable.
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def atomic_torch_save(obj: Any, path: str | Path, what: str = "checkpoint") -> None:
    """``torch.save`` to ``path`` atomically (see :func:`atomic_write`)."""
    atomic_write(path, lambda handle: torch.save(obj, handle), what)


def atomic_text_write(path: str | Path, text: str, what: str = "file") -> None:
    """Write UTF-8 text to ``path`` atomically (see :func:`atomic_write`)."""
    atomic_write(path, lambda handle: handle.write(text.encode()), what)


def remove_orphan_temp_files(folder: str | Path) -> list[Path]:
    """Delete the temporary checkpoint files (``.<name>.ckpt.<random>.tmp``) a process killed
    while writing left in ``folder``; call it when a run (re)starts, before it writes any.

    Returns:
        The files removed.
    """
    removed = []
    for tmp in Path(folder).glob(".*.ckpt.*.tmp"):
        with contextlib.suppress(OSError):
            tmp.unlink()
            removed.append(tmp)
    return removed


class AtomicCheckpointIO(TorchCheckpointIO):
    """Lightning checkpoint IO plugin using :func:`atomic_torch_save` for local paths."""

    def save_checkpoint(self, checkpoint: dict[str, Any], path: str | Path, storage_options: Any | None = None) -> None:
        if "://" in str(path):  # remote filesystems: Lightning's own fsspec transaction
            super().save_checkpoint(checkpoint, path, storage_options)
            return
        atomic_torch_save(checkpoint, path)
