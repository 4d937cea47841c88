"""Reading label masks as class indices, with the label conventions checked as they are read."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from nnframe.core.data import upright
from nnframe.core.errors import DatasetError
from nnframe.seg.data.mask_decoding import MaskDecoding
from nnframe.seg.data.mask_palettes import MaskPalette


def read_mask_values(path: Path) -> tuple[np.ndarray, bool]:
    """The stored values of a mask file and whether they are RGB colours (``0xRRGGBB``).

    Shape: (H, W) int64, as a viewer shows the file (an EXIF orientation, rare in a mask, is
    applied as to the images). Grey-looking RGB masks give their grey values; alpha is dropped.
    """
    try:
        with Image.open(path) as opened:
            opened.load()
            image = upright(opened)
            if image.mode in ("P", "L", "I", "I;16", "1", "LA", "PA"):
                values = np.asarray(image.convert("L") if image.mode == "LA" else
                                    image.convert("P") if image.mode == "PA" else image).astype(np.int64)
                return (values * 255 if image.mode == "1" else values), False
            rgb = np.asarray(image.convert("RGB")).astype(np.int64)
    except FileNotFoundError as error:
        raise DatasetError(f"mask file not found: {path}") from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise DatasetError(f"cannot read mask {path}: {error}. Delete or replace the file.") from error
    if np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 0], rgb[..., 2]):
        return rgb[..., 0], False
    return (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2], True


def load_mask(
    path: str | Path,
    num_classes: int,
    ignore_index: int | None = 255,
    lookup: np.ndarray | None = None,
    binary_255: bool | None = None,
    palette: MaskPalette | None = None,
) -> np.ndarray:
    """Read a mask file as class indices, mapping and checking its values (see
    :class:`~nnframe.seg.data.mask_decoding.MaskDecoding` for the arguments).

    Returns:
        (H, W) int64 class indices, ``ignore_index`` for unlabelled pixels.

    Raises:
        DatasetError: unreadable file, colour mask without a palette, or a value that is neither
            a class nor ``ignore_index``; the message names the file, the value and the fix.
    """
    path = Path(path)
    values, colour = read_mask_values(path)
    decoding = MaskDecoding(num_classes, ignore_index, lookup, binary_255, palette)
    classes, bad = decoding.decode(values, colour)
    if bad and colour and palette is None:
        raise DatasetError(f"mask {path} is a colour image (colours {', '.join(bad[:4])}, ...): set data.palette=voc, "
                           "data.palette=camvid or data.palette=[[r,g,b],...] (index = class) to map colours to classes")
    if bad and colour:
        raise DatasetError(f"mask {path} has colour {bad[0]}, which data.palette does not list; add it to the "
                           "palette (index = class) or fix the mask")
    if bad and lookup is not None:
        raise DatasetError(f"mask {path} has value {bad[0]}, which this dataset does not define")
    if bad:
        raise DatasetError(
            f"mask {path} has value {bad[0]}{f' (and {bad[1:5]})' if len(bad) > 1 else ''}, but "
            f"data.num_classes={num_classes} allows 0..{num_classes - 1} (and {ignore_index} for "
            "ignored pixels). Fix the mask, or set data.num_classes / data.ignore_index to match the data."
        )
    return classes
