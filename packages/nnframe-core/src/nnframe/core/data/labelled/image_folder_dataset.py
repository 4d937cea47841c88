"""A labelled folder of images (``root/<class>/<image>``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from nnframe.core.data.labelled.class_folders import scan_class_folders
from nnframe.core.data.labelled.labelled_image_dataset import LabelledImageDataset
from nnframe.core.errors import DatasetError


class ImageFolderDataset(LabelledImageDataset):
    """``root/<class name>/**/<image>`` with classes sorted by name (torchvision's convention).

    Files that are not images (other extensions, macOS ``._`` files, ``.DS_Store``...) are
    left out and listed in ``ignored_files``; image files are checked by the pre-flight check.

    Args:
        root: the folder of class folders.
        transform: called as ``transform(image, label)``.
        image_mode: PIL mode images are converted to (``RGB``, ``L``).
        min_classes: fewer class folders is an error.
    """

    def __init__(self, root: str | Path, transform: Callable[..., Any] | None = None, image_mode: str = "RGB",
                 min_classes: int = 1) -> None:
        root = Path(root)
        if not root.is_dir():
            raise DatasetError(f"image folder not found: {root} (expected {root}/<class>/<image>)")
        dirs = {"train": root.name, "val": "val", "test": "test"}
        scan = scan_class_folders(root, "train", root.parent, dirs, min_classes)
        super().__init__(scan.samples, scan.classes, transform, image_mode)
        self.root = root
        self.ignored_files = scan.ignored
