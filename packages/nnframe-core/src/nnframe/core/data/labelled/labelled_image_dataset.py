"""Image files with one class label each, or several (multi-label): the dataset behind image
folders and label CSVs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch

from nnframe.core.data.base.image_files import load_image
from nnframe.core.data.base.vision_dataset import FileVisionDataset, as_path


class LabelledImageDataset(FileVisionDataset):
    """``(image path, label)`` samples; ``label`` is a class index, or a tuple of class indices
    with ``multi_label=True``.

    Args:
        samples: ``(path, label)`` pairs.
        class_names: index = class.
        transform: called as ``transform(image, target)``.
        image_mode: PIL mode images are converted to (``RGB``, ``L``).
        multi_label: targets are multi-hot float vectors (num_classes,) instead of indices.
    """

    def __init__(self, samples: Sequence[tuple[Path, Any]], class_names: Sequence[str],
                 transform: Callable[..., Any] | None = None, image_mode: str = "RGB",
                 multi_label: bool = False) -> None:
        super().__init__([(as_path(path), label) for path, label in samples], transform)
        self._class_names = list(class_names)
        self.image_mode = image_mode
        self.multi_label = multi_label

    @property
    def class_names(self) -> list[str]:
        return list(self._class_names)

    @property
    def targets(self) -> Sequence[int] | None:
        return None if self.multi_label else [int(label) for _, label in self.samples]

    def label_counts(self) -> list[int]:
        counts = [0] * len(self._class_names)
        for _, label in self.samples:
            for index in (label if self.multi_label else (label,)):
                counts[int(index)] += 1
        return counts

    def load(self, index: int) -> tuple[Any, Any]:
        path, label = self.samples[index]
        image = load_image(path, self.image_mode)
        if not self.multi_label:
            return image, int(label)
        target = torch.zeros(len(self._class_names), dtype=torch.float32)
        target[list(label)] = 1.0
        return image, target

    def subset(self, indices: Sequence[int], transform: Callable[..., Any] | None = None) -> LabelledImageDataset:
        """The samples at ``indices`` as a dataset of the same classes, with ``transform``."""
        subset = LabelledImageDataset([self.samples[i] for i in indices], self._class_names, transform,
                                      self.image_mode, self.multi_label)
        subset.ignored_files = list(self.ignored_files)
        return subset
