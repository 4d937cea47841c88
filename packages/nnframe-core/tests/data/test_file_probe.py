"""Each file is identified from its header (and end marker) the way its format allows."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nnframe.core.data import probe_file
from nnframe.core.testing import write_damaged_png, write_image, write_messy_files, write_truncated_jpeg


@pytest.mark.parametrize(("name", "mode", "fmt"), [("a.png", "RGB", "PNG"), ("a.jpg", "RGB", "JPEG"),
                                                   ("g.png", "L", "PNG"), ("t.png", "RGBA", "PNG"),
                                                   ("p.png", "P", "PNG"), ("d.png", "I;16", "PNG"),
                                                   ("c.jpg", "CMYK", "JPEG"), ("b.bmp", "RGB", "BMP"),
                                                   ("w.webp", "RGB", "WEBP"), ("f.tif", "RGB", "TIFF")])
def test_good_images_are_identified_with_format_mode_and_size(tmp_path: Path, name: str, mode: str, fmt: str) -> None:
    info = probe_file(write_image(tmp_path / name, size=(24, 20), mode=mode))
    assert info.problem is None
    assert (info.format, info.mode, info.width, info.height) == (fmt, mode, 24, 20)
    assert info.lossy == (fmt in ("JPEG", "WEBP"))


def test_messy_files_are_named_for_what_they_are(tmp_path: Path) -> None:
    files = write_messy_files(tmp_path)
    problems = {kind: probe_file(path).problem for kind, path in files.items()}
    assert problems["empty"] == "empty file (0 bytes)"
    assert problems["text"] == "not an image: a text file"
    assert problems["appledouble"] == "not an image: a macOS metadata file (AppleDouble)"
    assert problems["truncated"].startswith("truncated (no JPEG end marker; decoding fails")
    (tmp_path / "page.jpg").write_text("<!DOCTYPE html><html>404</html>")
    assert "an HTML page" in probe_file(tmp_path / "page.jpg").problem
    assert probe_file(tmp_path / "missing.png").problem == "file not found"


def test_truncated_png_and_webp_are_found_without_decoding_good_files(tmp_path: Path) -> None:
    png = write_image(tmp_path / "a.png", size=(64, 64))
    png.write_bytes(png.read_bytes()[:-30])
    assert probe_file(png).problem.startswith("truncated (no PNG IEND chunk")
    webp = write_image(tmp_path / "a.webp", size=(64, 64))
    webp.write_bytes(webp.read_bytes()[:-20])
    assert probe_file(webp).problem.startswith("truncated")
    assert probe_file(write_truncated_jpeg(tmp_path / "cut.jpg", keep=0.98)).problem.startswith("truncated")


def test_data_after_the_end_marker_is_not_damage(tmp_path: Path) -> None:
    path = write_image(tmp_path / "a.jpg")
    path.write_bytes(path.read_bytes() + b"camera trailer" * 10)  # no end marker last: decoded, and fine
    assert probe_file(path).problem is None


def test_damage_inside_is_found_by_a_full_decode_only(tmp_path: Path) -> None:
    path = write_damaged_png(tmp_path / "d.png")
    assert probe_file(path).problem is None
    assert probe_file(path, decode=True).problem.startswith("cannot decode")


def test_lossless_webp_is_not_lossy(tmp_path: Path) -> None:
    Image.new("RGB", (8, 8)).save(tmp_path / "l.webp", lossless=True)
    assert not probe_file(tmp_path / "l.webp").lossy


def test_label_files_report_their_values_or_colours(tmp_path: Path) -> None:
    grey = np.array([[0, 0, 1], [2, 255, 255]], dtype=np.uint8)
    Image.fromarray(grey).save(tmp_path / "grey.png")
    assert probe_file(tmp_path / "grey.png", "label").values == ((0, 2), (1, 1), (2, 1), (255, 2))
    rgb = np.zeros((2, 2, 3), np.uint8)
    rgb[0, 0] = (128, 0, 0)
    Image.fromarray(rgb).save(tmp_path / "colour.png")
    info = probe_file(tmp_path / "colour.png", "label")
    assert info.colour and info.values == ((0, 3), (0x800000, 1))
    noise = np.random.default_rng(0).integers(0, 256, (100, 100, 3), dtype=np.uint8)
    Image.fromarray(noise).save(tmp_path / "photo.png")
    assert "not a label map" in probe_file(tmp_path / "photo.png", "label").problem
    buffer = io.BytesIO()
    Image.fromarray(grey).save(buffer, "JPEG")
    (tmp_path / "mask.jpg").write_bytes(buffer.getvalue())
    assert probe_file(tmp_path / "mask.jpg", "label").lossy
