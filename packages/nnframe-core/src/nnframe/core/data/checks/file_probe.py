"""Identifying one data file: its format, mode and size from the header, whether it is complete,
and for label images (masks) the values it holds.

Completeness without a full decode where the format allows: a JPEG ends with its EOI marker
(``FF D9``, possibly followed by zero padding), a PNG with its ``IEND`` chunk, a WebP's RIFF
header states its length, a BMP's header its file size. A file that fails the cheap test is
decoded fully before it is called broken (some files carry data after their end marker).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError

from nnframe.core.data.base.exif_orientation import upright, upright_size

#: Kinds of files: ``image`` (header and end marker; fully decoded on request) and ``label``
#: (a mask: always decoded, its values counted).
FILE_KINDS = ("image", "label")
#: A label image with more distinct values than this is not a label map (a photo, say).
MAX_LABEL_VALUES = 4096

_JPEG_END = b"\xff\xd9"
_PNG_END = b"IEND\xaeB`\x82"
_TAIL_BYTES = 64


@dataclass(frozen=True)
class FileInfo:
    """What a file is, as far as training cares.

    Args:
        format: PIL format name (``JPEG``, ``PNG``, ``WEBP``...), None if not an image.
        mode: PIL mode (``RGB``, ``L``, ``P``, ``RGBA``, ``I;16``, ``CMYK``...).
        width, height: pixels, as a viewer shows the image (its EXIF orientation applied: a
            photo stored sideways with orientation 6 reports its upright width and height).
        problem: why the file cannot be used (None when it can): names the cause.
        lossy: a lossy format (JPEG, lossy WebP); label values do not survive it.
        values: for labels, ``(stored value, pixel count)`` pairs, sorted; colours of an RGB
            label image are stored as ``0xRRGGBB``.
        colour: the label image holds RGB colours (not one grey value per pixel).
    """

    format: str | None = None
    mode: str | None = None
    width: int = 0
    height: int = 0
    problem: str | None = None
    lossy: bool = False
    values: tuple[tuple[int, int], ...] | None = None
    colour: bool = False

    def to_json(self) -> list[Any]:
        return [self.format, self.mode, self.width, self.height, self.problem, self.lossy,
                None if self.values is None else [list(v) for v in self.values], self.colour]

    @classmethod
    def from_json(cls, data: list[Any]) -> FileInfo:
        fmt, mode, width, height, problem, lossy, values, colour = data
        return cls(fmt, mode, int(width), int(height), problem, bool(lossy),
                   None if values is None else tuple((int(v), int(c)) for v, c in values), bool(colour))


def _what_it_is(head: bytes) -> str:
    """A guess at a non-image file's nature, for the message."""
    if head.startswith(b"\x00\x05\x16\x07"):
        return "a macOS metadata file (AppleDouble)"
    stripped = head.lstrip().lower()
    if stripped.startswith((b"<!doctype html", b"<html")):
        return "an HTML page (a failed download?)"
    if stripped.startswith(b"<?xml") or stripped.startswith(b"<svg"):
        return "an XML/SVG file"
    if head.startswith((b"PK\x03\x04", b"\x1f\x8b", b"7z\xbc\xaf")):
        return "an archive (zip/gzip/7z)"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return "not an image PIL can identify"
    if text and all(ch.isprintable() or ch in "\r\n\t" for ch in text):
        return "a text file"
    return "not an image PIL can identify"


def _webp_is_lossy(head: bytes) -> bool:
    """Whether a WebP file holds a lossy (VP8) bitstream; VP8L is lossless."""
    offset = 12
    while offset + 8 <= len(head):
        chunk = head[offset:offset + 4]
        if chunk == b"VP8 ":
            return True
        if chunk == b"VP8L":
            return False
        size = int.from_bytes(head[offset + 4:offset + 8], "little")
        offset += 8 + size + (size & 1)
    return False


def _looks_complete(fmt: str | None, head: bytes, tail: bytes, size: int) -> bool:
    if fmt == "JPEG":
        return tail.rstrip(b"\x00").endswith(_JPEG_END)
    if fmt == "PNG":
        return tail.endswith(_PNG_END)
    if fmt == "WEBP" and len(head) >= 8:
        return size >= int.from_bytes(head[4:8], "little") + 8
    if fmt == "BMP" and len(head) >= 6:
        declared = int.from_bytes(head[2:6], "little")
        return declared == 0 or size >= declared
    return True  # no cheap test for this format: a decode error later names the file


def _magic_format(head: bytes) -> str | None:
    """The format a file's first bytes announce (for files PIL cannot even open)."""
    if head.startswith(b"\xff\xd8"):
        return "JPEG"
    if head.startswith(b"\x89PNG"):
        return "PNG"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "WEBP"
    return None


def _decode_problem(path: Path) -> str | None:
    try:
        with Image.open(path) as image:
            image.load()
    except Exception as error:  # PIL raises OSError, SyntaxError, ValueError, zlib/struct errors...
        return f"{type(error).__name__}: {error}"
    return None


def _label_values(image: Image.Image) -> tuple[tuple[tuple[int, int], ...] | None, bool, str | None]:
    """``(value counts, colour, problem)`` of a decoded label image."""
    mode = image.mode
    if mode in ("RGBA", "LA", "PA"):
        image = image.convert("RGB" if mode == "RGBA" else "L" if mode == "LA" else "P")
        mode = image.mode
    if mode == "F":
        return None, False, "a floating-point image, not a label map (save class indices as an 8-bit PNG)"
    if mode in ("RGB", "CMYK", "YCbCr", "HSV", "LAB"):
        rgb = np.asarray(image.convert("RGB")).astype(np.int64)
        if np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 0], rgb[..., 2]):
            array, colour = rgb[..., 0], False
        else:
            array, colour = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2], True
    else:  # P, L, 1, I;16, I: one stored value per pixel
        array, colour = np.asarray(image).astype(np.int64), False
        if mode == "1":
            array = array * 255  # PIL gives 0/1 for black/white; stored as 0/255
    values, counts = np.unique(array.reshape(-1), return_counts=True)
    if len(values) > MAX_LABEL_VALUES:
        kind = "colours" if colour else "values"
        return None, colour, f"{len(values)} distinct {kind}: not a label map (a photo in the masks folder?)"
    return tuple(zip(values.tolist(), counts.tolist(), strict=True)), colour, None


def probe_file(path: str | Path, kind: str = "image", decode: bool = False) -> FileInfo:
    """Identify ``path`` (see the module docstring).

    Args:
        path: the file.
        kind: ``image`` or ``label``.
        decode: decode images fully (labels always are): finds damage inside a file whose
            header and end marker are intact, at the cost of a full read.

    Returns:
        Its :class:`FileInfo`; ``problem`` says why it cannot be used, if so.
    """
    path = Path(path)
    try:
        size = os.stat(path).st_size
    except FileNotFoundError:
        return FileInfo(problem="file not found")
    except OSError as error:
        return FileInfo(problem=f"cannot read: {error}")
    if size == 0:
        return FileInfo(problem="empty file (0 bytes)")
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
            handle.seek(max(0, size - _TAIL_BYTES))
            tail = handle.read(_TAIL_BYTES)
    except OSError as error:
        return FileInfo(problem=f"cannot read: {error}")
    try:
        with Image.open(path) as image:
            fmt, mode, (width, height) = image.format, image.mode, upright_size(image)
            lossy = fmt == "JPEG" or (fmt == "WEBP" and _webp_is_lossy(head))
            if kind == "label":
                image.load()
                values, colour, problem = _label_values(upright(image))
                return FileInfo(fmt, mode, width, height, problem, lossy, values, colour)
    except UnidentifiedImageError:
        return FileInfo(problem=f"not an image: {_what_it_is(head[:512])}")
    except Image.DecompressionBombError as error:
        return FileInfo(problem=f"too large to open safely: {error}")
    except Exception as error:  # a header PIL recognises but cannot parse, or a label that fails to decode
        fmt = _magic_format(head)
        cut = fmt is not None and not _looks_complete(fmt, head, tail, size)
        return FileInfo(format=fmt, problem=f"{'truncated' if cut else 'cannot decode'}: {type(error).__name__}: {error}")
    problem = None
    if decode or not _looks_complete(fmt, head, tail, size):
        problem = _decode_problem(path)
        if problem is not None and not decode:
            marker = {"JPEG": "no JPEG end marker", "PNG": "no PNG IEND chunk"}.get(fmt, "shorter than its header says")
            problem = f"truncated ({marker}; decoding fails: {problem})"
        elif problem is not None:
            problem = f"cannot decode: {problem}"
    return FileInfo(fmt, mode, width, height, problem, lossy)
