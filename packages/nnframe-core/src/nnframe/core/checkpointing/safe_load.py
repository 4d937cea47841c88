"""Loading the files users pass (checkpoints, weights) as data, never as code.

Every such load goes through :func:`load_checkpoint`: ``torch.load(weights_only=True)``, so a
pickle that would build an arbitrary Python object (and run its code) is refused, with a one-line
message that names the file instead of torch's advice to load it unsafely.
"""

from __future__ import annotations

import pickle
import re
import zipfile
from pathlib import Path
from typing import Any

import torch

from nnframe.core.errors import CheckpointError

_ZIP_MAGIC = b"PK"  # torch.save's format since torch 1.6
_PICKLE_PROTO = 0x80  # torch's legacy format starts with a pickled magic number
_REFUSED = "Weights only load failed"
_GLOBAL = re.compile(r"(?:Unsupported global: |unsupported )GLOBAL ([\w.]+)")
_MAX_DETAIL = 200


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(2)


def _refusal(path: Path, error: BaseException) -> CheckpointError:
    found = _GLOBAL.search(str(error))
    needs = f" (it needs {found.group(1)})" if found else ""
    return CheckpointError(
        f"{path} is not a plain nnframe/Lightning checkpoint: it holds Python objects beyond tensors and plain "
        f"values{needs}, and nnframe never loads those because loading them can run code"
    )


def load_checkpoint(path: str | Path, what: str = "checkpoint", mmap: bool = True) -> Any:
    """Load ``path`` with ``torch.load(weights_only=True)`` onto the CPU.

    Args:
        path: the file (a checkpoint, a weights file, an nnframe backbone file).
        what: what the file is meant to be, for the messages (``"pretrained weights"``).
        mmap: memory-map the tensors (read lazily: for reading metadata only). Files in torch's
            legacy format, which cannot be memory-mapped, are read whole.

    Raises:
        CheckpointError: the file is missing, is not a file torch wrote (a text file, an image),
            is damaged, or holds Python objects that only an unsafe load would build.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{what} not found: {path}")
    head = _head(path)
    if not head.startswith(_ZIP_MAGIC) and not (head and head[0] == _PICKLE_PROTO):
        raise CheckpointError(f"{path} is not a checkpoint: it was not written by torch.save (give a "
                              f"run's checkpoints/<file>.ckpt, or a weights file)")
    try:
        return torch.load(path, map_location="cpu", weights_only=True,
                          mmap=mmap and head.startswith(_ZIP_MAGIC) and zipfile.is_zipfile(path))
    except pickle.UnpicklingError as error:
        if _REFUSED in str(error):
            raise _refusal(path, error) from None
        raise CheckpointError(f"cannot read {what} {path}: damaged or truncated ({str(error)[:_MAX_DETAIL]})") from None
    except Exception as error:  # torch raises many types for a damaged or truncated file
        detail = str(error).splitlines()[0][:_MAX_DETAIL] if str(error) else type(error).__name__
        raise CheckpointError(f"cannot read {what} {path}: damaged or truncated ({detail})") from None
