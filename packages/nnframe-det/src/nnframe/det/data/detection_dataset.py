"""Base of the detection datasets: each sample an image and a target dict of boxes."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torchvision import tv_tensors

from nnframe.core.data import VisionDataset


@dataclass
class BoxAnnotation:
    """The boxes of one image as its annotation file gives them (before any transform).

    Args:
        boxes: (K, 4) float ``x1, y1, x2, y2`` in pixels.
        labels: (K,) int class index (into ``class_names``).
        iscrowd: (K,) bool, COCO's crowd regions.
        size: ``(width, height)`` of the image when the annotation says it, else None.
        source: the file the boxes come from (named in errors).
    """

    boxes: np.ndarray
    labels: np.ndarray
    iscrowd: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    size: tuple[int, int] | None = None
    source: str = ""

    def __post_init__(self) -> None:
        self.boxes = np.asarray(self.boxes, dtype=np.float32).reshape(-1, 4)
        self.labels = np.asarray(self.labels, dtype=np.int64).reshape(-1)
        if len(self.iscrowd) != len(self.labels):
            self.iscrowd = np.zeros(len(self.labels), dtype=bool)


def make_target(annotation: BoxAnnotation, canvas_size: tuple[int, int], image_id: int) -> dict[str, Any]:
    """The target dict of a sample: ``boxes`` (``tv_tensors.BoundingBoxes``, XYXY, on an image of
    ``canvas_size = (height, width)``), ``labels`` and ``iscrowd`` (int64, (K,)), ``image_id``."""
    return {
        "boxes": tv_tensors.BoundingBoxes(torch.from_numpy(annotation.boxes.copy()), format="XYXY",
                                          canvas_size=canvas_size),
        "labels": torch.from_numpy(annotation.labels.copy()),
        "iscrowd": torch.from_numpy(annotation.iscrowd.astype(np.int64)),
        "image_id": image_id,
    }


class DetectionDataset(VisionDataset):
    """A dataset of ``(image, target)`` where ``target`` is ``{"boxes", "labels", "iscrowd",
    "image_id"}`` (see :func:`make_target`), as torchvision's detection models take it.

    A subclass provides ``class_names``, ``__len__``, ``load(index)`` and
    ``annotation(index) -> BoxAnnotation`` (the untransformed boxes, read without decoding the
    image: what the pre-flight check looks at).
    """

    @abstractmethod
    def annotation(self, index: int) -> BoxAnnotation:
        """The boxes of sample ``index`` as annotated."""

    def annotations(self) -> list[BoxAnnotation]:
        """Every sample's :meth:`annotation`."""
        return [self.annotation(i) for i in range(len(self))]

    def label_counts(self) -> list[int] | None:
        """Boxes per class (crowd regions left out)."""
        counts = np.zeros(len(self.class_names), dtype=np.int64)
        for annotation in self.annotations():
            labels = annotation.labels[~annotation.iscrowd]
            labels = labels[(labels >= 0) & (labels < len(counts))]
            counts += np.bincount(labels, minlength=len(counts))
        return counts.tolist()


class FileDetectionDataset(DetectionDataset):
    """A detection dataset read from image files, one :class:`BoxAnnotation` per image.

    Args:
        images: the image files.
        annotations: their boxes, in the same order.
        class_names: index = label.
        transform: called as ``transform(image, target)``.
    """

    file_kinds = ("image",)

    def __init__(self, images: Sequence[Any], annotations: Sequence[BoxAnnotation], class_names: Sequence[str],
                 transform: Callable[..., Any] | None = None) -> None:
        super().__init__(transform)
        self.images = [str(p) for p in images]
        self._annotations = list(annotations)
        self._class_names = list(class_names)

    @property
    def class_names(self) -> list[str]:
        return self._class_names

    def __len__(self) -> int:
        return len(self.images)

    def annotation(self, index: int) -> BoxAnnotation:
        return self._annotations[index]

    def sample_files(self) -> list[tuple[Any, ...]]:
        from pathlib import Path

        return [(Path(p),) for p in self.images]

    def drop_samples(self, indices: Any) -> None:
        drop = set(indices)
        self.images = [p for i, p in enumerate(self.images) if i not in drop]
        self._annotations = [a for i, a in enumerate(self._annotations) if i not in drop]

    def load(self, index: int) -> tuple[Any, dict[str, Any]]:
        from nnframe.core.data import load_image

        image = load_image(self.images[index], "RGB")  # a DatasetError naming the file if unreadable
        return image, make_target(self._annotations[index], (image.height, image.width), index)
