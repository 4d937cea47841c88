"""Reading image files with errors that name the file, listing the images of a folder (counting
what is not an image), and an unlabelled folder dataset."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from nnframe.core.data.base.exif_orientation import upright
from nnframe.core.data.checks.image_modes import convert_image
from nnframe.core.errors import DatasetError

#: File extensions read as images (``.jfif``/``.jpe``: JPEG files as some browsers and cameras name them).
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".jfif", ".jpe", ".png", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm")
#: Files and folders that operating systems leave in folders; never data.
SYSTEM_FILES = {".DS_Store": "macOS folder settings", "Thumbs.db": "Windows thumbnail cache",
                "desktop.ini": "Windows folder settings"}
SYSTEM_FOLDERS = {"__MACOSX": "macOS zip metadata folder", "@eaDir": "Synology thumbnail folder"}


def load_image(path: str | Path, mode: str = "RGB") -> Image.Image:
    """Open an image fully (so a damaged file fails here), turn it upright as a viewer shows it
    (its EXIF orientation: :mod:`nnframe.core.data.base.exif_orientation`) and convert it to ``mode``
    the documented way (:mod:`nnframe.core.data.checks.image_modes`: alpha over white, 16-bit scaled...).

    Raises:
        DatasetError: the file is missing, unreadable or not a valid image; names the path.
    """
    try:
        with Image.open(path) as image:
            image.load()
            return convert_image(upright(image), mode)
    except FileNotFoundError as error:
        raise DatasetError(f"image file not found: {path}") from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise DatasetError(
            f"cannot read image {path}: {error}. Delete or replace the file. (The pre-flight check "
            "reads headers and end markers only; data.decode_check=true decodes every image before "
            "training, and with data.skip_corrupt=true leaves such files out, counted.)"
        ) from error


def ignore_reason(path: Path) -> str | None:
    """Why a file found in a data folder is not data (None when it may be an image)."""
    name = path.name
    if name.startswith("._"):
        return "macOS metadata file (AppleDouble)"
    if name in SYSTEM_FILES:
        return SYSTEM_FILES[name]
    if name.startswith("."):
        return "hidden file"
    if path.suffix.lower() not in IMAGE_EXTENSIONS:
        return f"not an image file extension ({path.suffix or 'none'})"
    return None


def list_image_files(folder: str | Path, recursive: bool = True) -> tuple[list[Path], list[tuple[str, str]]]:
    """The image files under ``folder`` (sorted) and ``(file, reason)`` of everything else found.

    Symlinked subfolders are followed, as torchvision's ``ImageFolder`` does; a link back to a
    folder being read (a loop) is not, and is listed as ignored. Hidden folders and system
    folders (``__MACOSX``) are skipped and listed as ignored.
    """
    images: list[Path] = []
    ignored: list[tuple[str, str]] = []
    # Real paths of each folder's ancestors (itself included, and those above ``folder``): a
    # subfolder whose real path is among them leads back up, and os.walk(followlinks=True) would
    # go round it forever (or read the whole dataset into one class, for a link to its parent).
    top = Path(os.path.realpath(folder))
    chains = {str(folder): frozenset({str(top), *map(str, top.parents)})}
    for current, folders, files in os.walk(folder, followlinks=True):
        chain = chains.pop(current, frozenset({os.path.realpath(current)}))
        keep = []
        for name in sorted(folders):
            path = os.path.join(current, name)
            if name in SYSTEM_FOLDERS or name.startswith("."):
                ignored.append((path, SYSTEM_FOLDERS.get(name, "hidden folder")))
            elif recursive:
                real = os.path.realpath(path)
                if real in chain:
                    ignored.append((path, f"link back to {real}, a folder it is inside (a loop): not followed"))
                else:
                    keep.append(name)
                    chains[path] = chain | {real}
        folders[:] = keep
        for name in files:
            path = Path(current) / name
            reason = ignore_reason(path)
            if reason is None:
                images.append(path)
            else:
                ignored.append((str(path), reason))
    return sorted(images), sorted(ignored)


def find_image_files(root: str | Path) -> list[Path]:
    """All image files below ``root``, sorted, searched recursively.

    Raises:
        DatasetError: ``root`` is missing or holds no image.
    """
    return _image_files_and_ignored(Path(root))[0]


def _image_files_and_ignored(root: Path) -> tuple[list[Path], list[tuple[str, str]]]:
    """:func:`list_image_files` of ``root``, with :func:`find_image_files`'s errors."""
    if not root.is_dir():
        raise DatasetError(f"image folder not found: {root}")
    paths, ignored = list_image_files(root)
    if not paths:
        raise DatasetError(f"no image files ({', '.join(IMAGE_EXTENSIONS)}) found under {root}")
    return paths, ignored


class ImageFileDataset:
    """Images of a folder, unlabelled, for prediction: returns ``(image, index)``.

    ``paths[index]`` gives the file of a sample back to the prediction writer; ``ignored`` holds
    ``(file, reason)`` of what was found there and is not an image (a ``notes.txt``).

    Args:
        root: the folder (searched recursively).
        transform: called on each image.
        image_mode: ``RGB`` or ``L`` (the model's channels).
    """

    def __init__(self, root: str | Path, transform: Callable[..., Any] | None = None, image_mode: str = "RGB") -> None:
        self.root = Path(root)
        self.paths, self.ignored = _image_files_and_ignored(self.root)
        self.transform = transform
        self.image_mode = image_mode

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> tuple[Any, int]:
        image = load_image(self.paths[index], self.image_mode)
        if self.transform is not None:
            image = self.transform(image)
        return image, index
