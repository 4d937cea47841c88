"""Colour-coded masks: the RGB colour of each class, by name (``voc``, ``camvid``) or as a list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nnframe.core.errors import ConfigError


def voc_colormap(count: int = 256) -> np.ndarray:
    """Pascal VOC's colour map (the devkit's ``labelcolormap``): class ``i``'s colour spreads the
    bits of ``i`` over R, G and B, most significant first. Shape: (count, 3) uint8."""
    colours = np.zeros((count, 3), dtype=np.uint8)
    for index in range(count):
        value, r, g, b = index, 0, 0, 0
        for bit in range(8):
            r |= ((value >> 0) & 1) << (7 - bit)
            g |= ((value >> 1) & 1) << (7 - bit)
            b |= ((value >> 2) & 1) << (7 - bit)
            value >>= 3
        colours[index] = (r, g, b)
    return colours


VOC_NAMES = ("background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
             "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor")

#: CamVid's 32 labels (label_colors.txt of the CamVid release, Brostow et al. 2009), in its order;
#: ``Void`` is ignored, the other 31 are the classes.
CAMVID_COLOURS: tuple[tuple[tuple[int, int, int], str], ...] = (
    ((64, 128, 64), "Animal"), ((192, 0, 128), "Archway"), ((0, 128, 192), "Bicyclist"), ((0, 128, 64), "Bridge"),
    ((128, 0, 0), "Building"), ((64, 0, 128), "Car"), ((64, 0, 192), "CartLuggagePram"), ((192, 128, 64), "Child"),
    ((192, 192, 128), "Column_Pole"), ((64, 64, 128), "Fence"), ((128, 0, 192), "LaneMkgsDriv"),
    ((192, 0, 64), "LaneMkgsNonDriv"), ((128, 128, 64), "Misc_Text"), ((192, 0, 192), "MotorcycleScooter"),
    ((128, 64, 64), "OtherMoving"), ((64, 192, 128), "ParkingBlock"), ((64, 64, 0), "Pedestrian"),
    ((128, 64, 128), "Road"), ((128, 128, 192), "RoadShoulder"), ((0, 0, 192), "Sidewalk"),
    ((192, 128, 128), "SignSymbol"), ((128, 128, 128), "Sky"), ((64, 128, 192), "SUVPickupTruck"),
    ((0, 0, 64), "TrafficCone"), ((0, 64, 64), "TrafficLight"), ((192, 64, 128), "Train"), ((128, 128, 0), "Tree"),
    ((192, 128, 192), "Truck_Bus"), ((64, 0, 64), "Tunnel"), ((192, 192, 0), "VegetationMisc"),
    ((0, 0, 0), "Void"), ((64, 192, 0), "Wall"),
)


@dataclass(frozen=True)
class MaskPalette:
    """The colour of each class in colour-coded masks.

    Args:
        colours: index = class.
        class_names: the classes' names, when the palette names them.
        ignore_colours: colours read as ``ignore_index`` (VOC's object borders, CamVid's Void).
    """

    colours: tuple[tuple[int, int, int], ...]
    class_names: tuple[str, ...] | None = None
    ignore_colours: tuple[tuple[int, int, int], ...] = ()

    def codes(self) -> dict[int, int]:
        """``0xRRGGBB -> class index`` (``-2`` for ignored colours)."""
        table = {(r << 16) | (g << 8) | b: -2 for r, g, b in self.ignore_colours}
        table.update({(r << 16) | (g << 8) | b: index for index, (r, g, b) in enumerate(self.colours)})
        return table


def _voc() -> MaskPalette:
    colours = voc_colormap()
    return MaskPalette(tuple(tuple(int(v) for v in c) for c in colours[:21]), VOC_NAMES,
                       (tuple(int(v) for v in colours[255]),))


def _camvid() -> MaskPalette:
    classes = [(c, n) for c, n in CAMVID_COLOURS if n != "Void"]
    return MaskPalette(tuple(c for c, _ in classes), tuple(n for _, n in classes), ((0, 0, 0),))


NAMED_PALETTES = {"voc": _voc, "camvid": _camvid}


def resolve_palette(palette: str | Sequence[Sequence[int]] | None) -> MaskPalette | None:
    """A :class:`MaskPalette` from ``data.palette``: a name (``voc``: Pascal VOC's 21 colours,
    the border colour (224, 224, 192) ignored; ``camvid``: CamVid's 31 classes, Void ignored) or a
    list of ``[r, g, b]`` (index = class).

    Raises:
        ConfigError: an unknown name or a malformed colour.
    """
    if palette is None:
        return None
    if isinstance(palette, str):
        if palette not in NAMED_PALETTES:
            raise ConfigError(f"unknown data.palette={palette!r}; choose {', '.join(NAMED_PALETTES)} "
                              "or give [[r,g,b], ...] (index = class)")
        return NAMED_PALETTES[palette]()
    colours = []
    for colour in palette:
        values = [int(v) for v in colour]
        if len(values) != 3 or not all(0 <= v <= 255 for v in values):
            raise ConfigError(f"data.palette entry {list(colour)} is not an [r, g, b] colour of 0..255 values")
        colours.append(tuple(values))
    if len(set(colours)) != len(colours):
        raise ConfigError("data.palette gives the same colour to two classes")
    return MaskPalette(tuple(colours))  # type: ignore[arg-type]


def colour_name(code: int) -> str:
    """``0xRRGGBB`` as ``(r, g, b)``."""
    return f"({code >> 16 & 255}, {code >> 8 & 255}, {code & 255})"
