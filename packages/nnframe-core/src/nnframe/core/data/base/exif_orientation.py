"""Images as a viewer shows them: the EXIF Orientation tag (0x0112) applied.

Phones and cameras store a photo taken sideways with its sensor's pixels and a tag saying how to
turn them; every viewer (and every annotation tool, so every mask drawn on the photo) shows the
turned view. Reading the raw pixels feeds the model a sideways photo and misaligns its mask, so
every reader of images in nnframe (``load_image``, the masks, the pre-flight sizes, ``predict``)
goes through this module. Orientations 5 to 8 swap width and height.
"""

from __future__ import annotations

from PIL import Image, ImageOps

#: EXIF tag of the orientation (TIFF/EXIF ``Orientation``).
ORIENTATION_TAG = 0x0112
#: Orientations that turn the image by 90 degrees (transpose, rotate 270, transverse, rotate 90).
SWAPS_SIDES = frozenset({5, 6, 7, 8})


def exif_orientation(image: Image.Image) -> int:
    """The image's EXIF orientation (1..8; 1 when absent or unreadable), read from its header.

    Reads no pixels: a PNG's EXIF is taken from the chunks before its pixel data only (where
    the PNG specification puts ``eXIf``); Pillow would decode the whole file to look further.
    A damaged EXIF block counts as no rotation, as viewers treat it.
    """
    if image.format == "PNG" and "exif" not in image.info:
        return 1
    try:
        value = int(image.getexif().get(ORIENTATION_TAG, 1))
    except Exception:  # noqa: BLE001 - PIL raises many kinds of errors on a broken EXIF block
        return 1
    return value if 1 <= value <= 8 else 1


def upright_size(image: Image.Image) -> tuple[int, int]:
    """``(width, height)`` of the image as a viewer shows it (no decode)."""
    width, height = image.size
    return (height, width) if exif_orientation(image) in SWAPS_SIDES else (width, height)


def upright(image: Image.Image) -> Image.Image:
    """The loaded ``image`` turned as its EXIF orientation says (itself when there is nothing to
    turn): :func:`PIL.ImageOps.exif_transpose`, which also removes the tag from the result."""
    if exif_orientation(image) == 1:
        return image
    return ImageOps.exif_transpose(image)
