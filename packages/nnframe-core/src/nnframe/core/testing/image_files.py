"""Small image files in their real on-disk formats, messy ones included, for data tests."""

from __future__ import annotations

import gzip
import io
import pickle
import struct
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from PIL import Image

#: Modes ``write_image`` writes, each as a real PNG (or the format of the file's extension).
IMAGE_MODES = ("RGB", "L", "RGBA", "P", "I;16", "CMYK", "1")


def image_pixels(size: tuple[int, int], mode: str = "RGB", seed: int = 0, colour: tuple[int, ...] | None = None,
                 ) -> Image.Image:
    """A PIL image of ``mode`` and ``size`` (width, height): noise, or one ``colour``."""
    rng = np.random.default_rng(seed)
    width, height = size
    if colour is not None:
        base = Image.new("RGB", size, tuple(colour[:3]))
    else:
        base = Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))
    if mode == "RGBA":
        image = base.convert("RGBA")
        alpha = np.full((height, width), 255, np.uint8)
        alpha[: height // 2] = 0  # the top half transparent
        image.putalpha(Image.fromarray(alpha))
        return image
    if mode == "P":
        return base.convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    if mode == "I;16":
        grey = np.asarray(base.convert("L")).astype(np.uint16) * 257  # 0..65535
        return Image.fromarray(grey)
    return base.convert(mode)


def write_image(path: str | Path, size: tuple[int, int] = (24, 20), mode: str = "RGB", seed: int = 0,
                colour: tuple[int, ...] | None = None) -> Path:
    """Write an image file; the format follows the extension (``.png``, ``.jpg``, ``.webp``...)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    image = image_pixels(size, mode, seed, colour)
    if path.suffix.lower() in (".jpg", ".jpeg") and image.mode not in ("RGB", "L", "CMYK"):
        image = image.convert("RGB")
    image.save(path)
    return path


#: How to store the pixels so that applying EXIF orientation ``n`` shows the upright image: the
#: inverse of the turn :func:`PIL.ImageOps.exif_transpose` applies.
_STORE_FOR_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_90, 7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def write_rotated_jpeg(path: str | Path, upright: Image.Image, orientation: int = 6, quality: int = 95) -> Path:
    """A JPEG as a phone saves a photo taken sideways: the sensor's pixels (``upright`` turned)
    and an EXIF Orientation tag (0x0112) that makes a viewer show ``upright``.

    Args:
        path: the file (``.jpg``, ``.jfif``...).
        upright: the image as a viewer must show it.
        orientation: the EXIF orientation, 2..8 (6: the phone was held upright, camera turned right).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    exif = Image.Exif()
    exif[0x0112] = orientation
    upright.convert("RGB").transpose(_STORE_FOR_ORIENTATION[orientation]).save(
        path, "JPEG", quality=quality, exif=exif.tobytes())
    return path


def write_truncated_jpeg(path: str | Path, size: tuple[int, int] = (48, 40), keep: float = 0.6) -> Path:
    """A JPEG cut off after ``keep`` of its bytes (an interrupted copy or download)."""
    buffer = io.BytesIO()
    image_pixels(size).save(buffer, "JPEG", quality=95)
    data = buffer.getvalue()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def write_damaged_png(path: str | Path, size: tuple[int, int] = (24, 20)) -> Path:
    """A PNG whose header and IEND end are intact but whose pixel data is corrupt (passes the
    header check; fails a full decode)."""
    buffer = io.BytesIO()
    image_pixels(size).save(buffer, "PNG")
    data = bytearray(buffer.getvalue())
    start = data.index(b"IDAT") + 4
    for offset in range(start + 2, min(start + 40, len(data) - 16)):
        data[offset] ^= 0xFF
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(data))
    return path


def write_messy_files(folder: str | Path) -> dict[str, Path]:
    """What real folders hold beside images: a zero-byte file, a text file named ``.png``, a
    macOS ``._`` metadata file, a ``.DS_Store`` and a truncated JPEG. Returns them by kind."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    files = {"empty": folder / "empty.png", "text": folder / "notes.png", "appledouble": folder / "._0.png",
             "ds_store": folder / ".DS_Store", "truncated": folder / "cut.jpg"}
    files["empty"].write_bytes(b"")
    files["text"].write_text("this is not an image\n")
    files["appledouble"].write_bytes(b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        ")
    files["ds_store"].write_bytes(b"\x00\x00\x00\x01Bud1")
    write_truncated_jpeg(files["truncated"])
    return files


def write_image_folder(root: str | Path, classes: Mapping[str, int], size: tuple[int, int] = (24, 20),
                       mode: str = "RGB", suffix: str = ".png", coloured: bool = False) -> Path:
    """``root/<class>/<i><suffix>`` with ``classes[name]`` images each; ``coloured``: each class a
    solid colour (learnable), else noise."""
    root = Path(root)
    for index, (name, count) in enumerate(classes.items()):
        for i in range(count):
            colour = ((index * 97) % 256, (index * 57 + 80) % 256, (index * 31 + 160) % 256) if coloured else None
            write_image(root / name / f"{i}{suffix}", size, mode, seed=index * 1000 + i, colour=colour)
    return root


def write_mnist(root: str | Path, count: int = 10, gzipped: bool = True, folder: str = "MNIST") -> Path:
    """MNIST's four IDX files under ``root/<folder>/raw`` (gzipped as downloaded, or extracted)."""
    raw = Path(root) / folder / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for prefix in ("train", "t10k"):
        images = rng.integers(0, 256, size=(count, 28, 28), dtype=np.uint8)
        labels = (np.arange(count) % 10).astype(np.uint8)
        files = {f"{prefix}-images-idx3-ubyte": struct.pack(">IIII", 2051, count, 28, 28) + images.tobytes(),
                 f"{prefix}-labels-idx1-ubyte": struct.pack(">II", 2049, count) + labels.tobytes()}
        for name, data in files.items():
            if gzipped:
                (raw / f"{name}.gz").write_bytes(gzip.compress(data))
            else:
                (raw / name).write_bytes(data)
    return raw


def write_cifar10(root: str | Path, per_batch: int = 8) -> Path:
    """The python-pickle layout of ``cifar-10-batches-py`` with ``per_batch`` images per file."""
    folder = Path(root) / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, size=(per_batch, 3 * 32 * 32), dtype=np.uint8)
        labels = (np.arange(per_batch) % 10).tolist()
        with open(folder / name, "wb") as handle:
            pickle.dump({"data": data, "labels": labels, "batch_label": name}, handle)
    names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    with open(folder / "batches.meta", "wb") as handle:
        pickle.dump({"label_names": names}, handle)
    return folder
