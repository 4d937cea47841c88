"""Reading image files with errors that name the file, and an unlabelled folder dataset."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from nnframe.core.errors import DatasetError

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm")


def load_image(path: str | Path, mode: str = "RGB") -> Image.Image:
    """Open an image fully (so a truncated file fails here) and convert it to ``mode``.

    Raises:
        DatasetError: the file is missing, unreadable or not a valid image; names the path.
    """
    try:
        with Image.open(path) as image:
            image.load()
            return image.convert(mode)
    except FileNotFoundError as error:
        raise DatasetError(f"image file not found: {path}") from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise DatasetError(
            f"cannot read image {path}: {error}. Delete or replace the file, or set "
            "data.skip_corrupt=true to skip unreadable files with a warning."
        ) from error


def find_image_files(root: str | Path) -> list[Path]:
    """All image files below ``root``, sorted, searched recursively.

    Raises:
        DatasetError: ``root`` is missing or holds no image.
    """
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"image folder not found: {root}")
    paths = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file())
    if not paths:
        raise DatasetError(f"no image files ({', '.join(IMAGE_EXTENSIONS)}) found under {root}")
    return paths


class ImageFileDataset:
    """Images of a folder, unlabelled, for prediction: returns ``(image, index)``.

    ``paths[index]`` gives the file of a sample back to the prediction writer.
    """

    def __init__(self, root: str | Path, transform: Callable[..., Any] | None = None) -> None:
        self.root = Path(root)
        self.paths = find_image_files(self.root)
        self.transform = transform

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> tuple[Any, int]:
        image = load_image(self.paths[index])
        if self.transform is not None:
            image = self.transform(image)
        return image, index
