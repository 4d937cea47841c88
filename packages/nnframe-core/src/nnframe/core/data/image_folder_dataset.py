"""A labelled folder of images (``root/<class>/<image>``), with clear errors and optional skipping
of unreadable files."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from torchvision.datasets.folder import find_classes, make_dataset

from nnframe.core.data.image_files import IMAGE_EXTENSIONS, load_image
from nnframe.core.data.vision_dataset import VisionDataset
from nnframe.core.errors import DatasetError


class ImageFolderDataset(VisionDataset):
    """``root/<class name>/**/<image>`` with classes sorted by name (torchvision's convention).

    Args:
        root: the folder of class folders.
        transform: called as ``transform(image, label)``.
        skip_corrupt: replace an unreadable image by the next readable one and warn (counted),
            instead of failing with the file's path.
        image_mode: PIL mode images are converted to (``RGB``, ``L``).
    """

    def __init__(self, root: str | Path, transform: Callable[..., Any] | None = None, skip_corrupt: bool = False,
                 image_mode: str = "RGB") -> None:
        super().__init__(transform)
        self.root = Path(root)
        if not self.root.is_dir():
            raise DatasetError(f"image folder not found: {self.root} (expected {self.root}/<class>/<image>)")
        try:
            self._classes, class_to_idx = find_classes(str(self.root))
            self.samples = make_dataset(str(self.root), class_to_idx, extensions=IMAGE_EXTENSIONS)
        except FileNotFoundError as error:
            raise DatasetError(
                f"no images in {self.root}: {error}. Put images in one folder per class, "
                f"e.g. {self.root}/cat/001.jpg"
            ) from error
        self.skip_corrupt = skip_corrupt
        self.image_mode = image_mode
        self.skipped: set[str] = set()

    @property
    def class_names(self) -> list[str]:
        return list(self._classes)

    @property
    def targets(self) -> Sequence[int]:
        return [target for _, target in self.samples]

    def __len__(self) -> int:
        return len(self.samples)

    def load(self, index: int) -> tuple[Any, Any]:
        for offset in range(len(self.samples)):
            path, target = self.samples[(index + offset) % len(self.samples)]
            try:
                return load_image(path, self.image_mode), target
            except DatasetError:
                if not self.skip_corrupt:
                    raise
                if path not in self.skipped:
                    self.skipped.add(path)
                    warnings.warn(f"skipping unreadable image {path} ({len(self.skipped)} skipped so far)",
                                  stacklevel=2)
        raise DatasetError(f"no readable image in {self.root}")
