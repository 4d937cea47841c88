"""Images of every mode reach the model as RGB or grey the documented way."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from nnframe.core.data import convert_image, load_image


def test_transparent_pixels_are_composited_over_white() -> None:
    image = Image.new("RGBA", (2, 1), (255, 0, 0, 255))
    image.putpixel((1, 0), (10, 20, 30, 0))  # fully transparent, garbage colour underneath
    assert np.asarray(convert_image(image, "RGB")).tolist() == [[[255, 0, 0], [255, 255, 255]]]
    half = Image.new("LA", (1, 1), (0, 128))
    assert convert_image(half, "L").getpixel((0, 0)) == 127


def test_16_bit_grey_is_scaled_not_clipped() -> None:
    image = Image.fromarray(np.array([[0, 257, 32896, 65535]], dtype=np.uint16))
    assert image.mode == "I;16"
    assert np.asarray(convert_image(image, "L")).tolist() == [[0, 1, 128, 255]]
    assert np.asarray(convert_image(image, "RGB"))[0, 2].tolist() == [128, 128, 128]


def test_palette_cmyk_and_bilevel_images(tmp_path: Path) -> None:
    palette = Image.new("P", (1, 1), 1)
    palette.putpalette([0, 0, 0, 10, 200, 30])
    assert convert_image(palette, "RGB").getpixel((0, 0)) == (10, 200, 30)
    cmyk = Image.new("CMYK", (1, 1), (0, 255, 255, 0))
    assert convert_image(cmyk, "RGB").getpixel((0, 0)) == (255, 0, 0)
    assert convert_image(Image.new("1", (1, 1), 1), "L").getpixel((0, 0)) == 255
    Image.new("RGB", (3, 3), (255, 0, 0)).save(tmp_path / "red.png")
    assert load_image(tmp_path / "red.png", "L").getpixel((0, 0)) == 76  # luma 0.299 * 255
