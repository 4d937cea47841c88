"""Opening a torchvision segmentation dataset with a clear error when its files are missing."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nnframe.core.errors import DatasetError


def open_torchvision_dataset(factory: Callable[..., Any], name: str, expected: Path, hint: str,
                             **kwargs: Any) -> Any:
    """``factory(**kwargs)`` (e.g. ``torchvision.datasets.VOCSegmentation``), turning torchvision's
    "not found" errors into a :class:`DatasetError` that says where the files must lie.

    Args:
        factory: the torchvision dataset class.
        name: dataset name for the message.
        expected: the folder torchvision looks in.
        hint: how to get the files (``data.download=true`` or a manual download).
    """
    try:
        return factory(**kwargs)
    except (RuntimeError, FileNotFoundError, OSError, ValueError) as error:
        # torchvision's own advice ("You can use download=True ...") names its argument, not nnframe's key
        reason = re.sub(r"[^.]*download=True[^.]*\.?", "", str(error)).strip().rstrip(".") or "missing files"
        raise DatasetError(f"{name} not found or incomplete in {expected}: {reason}. {hint}") from error
