"""Reading label masks with the label conventions checked as they are read."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from nnframe.core.errors import DatasetError


def _read_indices(path: Path) -> np.ndarray:
    try:
        with Image.open(path) as image:
            image.load()
            if image.mode in ("P", "L", "I", "I;16", "1"):
                return np.asarray(image).astype(np.int64)
            array = np.asarray(image.convert("RGB"))
    except FileNotFoundError as error:
        raise DatasetError(f"mask file not found: {path}") from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise DatasetError(f"cannot read mask {path}: {error}. Delete or replace the file.") from error
    # An RGB mask is accepted only when it is grey (the same index in every channel).
    if not (np.array_equal(array[..., 0], array[..., 1]) and np.array_equal(array[..., 0], array[..., 2])):
        raise DatasetError(
            f"mask {path} is a colour image; masks must hold one class index per pixel "
            "(an 8-bit grey or palette PNG). Convert the colours to class indices first."
        )
    return array[..., 0].astype(np.int64)


def load_mask(
    path: str | Path,
    num_classes: int,
    ignore_index: int | None = 255,
    lookup: np.ndarray | None = None,
    binary_255: bool | None = None,
) -> np.ndarray:
    """Read a mask file as class indices, mapping and checking its values.

    Args:
        path: an 8-bit grey or palette image (PNG), one class index per pixel.
        num_classes: valid indices are ``0 .. num_classes - 1``.
        ignore_index: the value of unlabelled pixels, also valid.
        lookup: maps a stored value to a class index (``lookup[value]``), -1 for values that must
            not occur (e.g. Cityscapes label ids to train ids, Pet trimaps to classes).
        binary_255: map a mask holding only 0 and 255 to 0 and 1 (binary masks saved for
            viewing). None: do so when ``num_classes == 2`` (where 255 can only mean foreground
            in a mask without a 1).

    Returns:
        (H, W) int64 class indices.

    Raises:
        DatasetError: unreadable file, colour mask, or a value that is neither a class index nor
            ``ignore_index``; the message names the file and the value.
    """
    path = Path(path)
    values = _read_indices(path)
    if lookup is not None:
        stored = values
        if stored.max(initial=0) >= len(lookup):
            bad = int(stored.max())
            raise DatasetError(f"mask {path} has value {bad}, which this dataset does not define")
        values = lookup[stored]
        if (values < 0).any():
            bad = int(stored[values < 0][0])
            raise DatasetError(f"mask {path} has value {bad}, which this dataset does not define")
        return values
    if binary_255 is None:
        binary_255 = num_classes == 2
    if binary_255:
        present = np.unique(values)
        if 255 in present and set(present.tolist()) <= {0, 255}:
            values = np.where(values == 255, 1, values)
    invalid = (values >= num_classes) | (values < 0)
    if ignore_index is not None:
        invalid &= values != ignore_index
    if invalid.any():
        bad = sorted(set(np.unique(values[invalid]).tolist()))
        raise DatasetError(
            f"mask {path} has value {bad[0]}{f' (and {bad[1:5]})' if len(bad) > 1 else ''}, but "
            f"data.num_classes={num_classes} allows 0..{num_classes - 1} (and {ignore_index} for "
            "ignored pixels). Fix the mask, or set data.num_classes / data.ignore_index to match the data."
        )
    return values
