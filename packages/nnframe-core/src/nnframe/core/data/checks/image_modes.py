"""Turning an image of any PIL mode into the channels the model receives, the documented way.

================  ============================================================================
stored mode       what the model receives
================  ============================================================================
``RGB``, ``L``    as stored; ``L`` becomes RGB by repeating it, RGB becomes ``L`` by luma
                  (ITU-R 601-2: 0.299 R + 0.587 G + 0.114 B, PIL's conversion)
``RGBA``, ``LA``, composited over white (what a page or a viewer shows behind transparent
``PA``, ``P`` with  pixels; the colour stored under a fully transparent pixel is often garbage)
transparency
``P``             the palette's colours
``I;16``, ``I``   16-bit grey scaled to 8 bits over the full 16-bit range (value / 257, so
                  65535 -> 255), not clipped at 255 as PIL's own ``convert("L")`` would
``F``             32-bit float grey, read as [0, 1] when its values lie there, else as 16-bit
``1``             black and white, as 0 and 255
``CMYK``          PIL's CMYK -> RGB conversion (no colour profile)
``YCbCr``, ...    PIL's conversion to RGB
================  ============================================================================
"""

from __future__ import annotations

import numpy as np
from PIL import Image

#: Behind transparent pixels.
ALPHA_BACKGROUND = (255, 255, 255)
_TRANSPARENT_MODES = {"RGBA", "LA", "PA", "RGBa", "La"}


def _grey_16_to_8(image: Image.Image) -> Image.Image:
    values = np.asarray(image).astype(np.float64)
    if image.mode == "F" and values.size and values.min() >= 0.0 and values.max() <= 1.0:
        scaled = values * 255.0
    else:
        scaled = values / 257.0
    return Image.fromarray(np.clip(np.rint(scaled), 0, 255).astype(np.uint8), mode="L")


def _composite(image: Image.Image) -> Image.Image:
    rgba = image.convert("RGBA")
    background = Image.new("RGBA", rgba.size, (*ALPHA_BACKGROUND, 255))
    return Image.alpha_composite(background, rgba).convert("RGB")


def has_transparency(image: Image.Image) -> bool:
    """Whether ``image`` carries an alpha channel or a transparent palette entry."""
    return image.mode in _TRANSPARENT_MODES or (image.mode in ("P", "L", "RGB") and "transparency" in image.info)


def convert_image(image: Image.Image, mode: str = "RGB") -> Image.Image:
    """``image`` as ``mode`` (``RGB`` or ``L``), converted as the module docstring says.

    Args:
        image: a loaded PIL image of any mode.
        mode: ``RGB`` (3 channels) or ``L`` (1 channel).
    """
    if mode not in ("RGB", "L"):
        return image.convert(mode)
    if image.mode == mode and not has_transparency(image):
        return image
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        image = _grey_16_to_8(image)
    elif has_transparency(image):
        image = _composite(image)
    elif image.mode not in ("RGB", "L"):
        image = image.convert("RGB") if image.mode != "1" else image.convert("L")
    return image if image.mode == mode else image.convert(mode)
