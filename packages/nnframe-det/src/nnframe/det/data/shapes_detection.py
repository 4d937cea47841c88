"""The embedded shapes as a detection dataset and datamodule (no download, deterministic)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
from torchvision import tv_tensors

from nnframe.core.data import SHAPE_NAMES, shapes_split_seed
from nnframe.det.data.detection_datamodule import DetectionDataModule
from nnframe.det.data.detection_dataset import BoxAnnotation, DetectionDataset, make_target
from nnframe.det.data.shapes_boxes import generate_shape_boxes


class ShapesDetectionDataset(DetectionDataset):
    """Generated images of 1 to ``max_shapes`` shapes, a box and a class per visible shape.

    Args:
        split: ``train``, ``val`` or ``test``; each split has its own images.
        num_samples: images in this split.
        image_size: side in pixels.
        seed: base seed; the split is generated from ``seed`` and the split name.
        min_shapes, max_shapes: shapes per image.
        min_radius, max_radius: shape radius as a fraction of the side.
        transform: called as ``transform(image, target)``.
    """

    def __init__(self, split: str = "train", num_samples: int = 1000, image_size: int = 64, seed: int = 0,
                 min_shapes: int = 1, max_shapes: int = 3, min_radius: float = 0.1, max_radius: float = 0.22,
                 transform: Callable[..., Any] | None = None) -> None:
        super().__init__(transform)
        arrays = generate_shape_boxes(num_samples, image_size, shapes_split_seed(seed, split), min_shapes,
                                      max_shapes, min_radius, max_radius)
        self.images = torch.from_numpy(arrays.images).permute(0, 3, 1, 2).contiguous()  # (N, 3, H, W) uint8
        self._annotations = [BoxAnnotation(b, lab, size=(image_size, image_size))
                             for b, lab in zip(arrays.boxes, arrays.labels, strict=True)]

    @property
    def class_names(self) -> list[str]:
        return list(SHAPE_NAMES)

    def __len__(self) -> int:
        return len(self.images)

    def annotation(self, index: int) -> BoxAnnotation:
        return self._annotations[index]

    def load(self, index: int) -> tuple[Any, dict[str, Any]]:
        image = tv_tensors.Image(self.images[index])
        return image, make_target(self._annotations[index], tuple(image.shape[-2:]), index)


class ShapesDetectionDataModule(DetectionDataModule):
    """The embedded shapes with their boxes.

    Args:
        num_train, num_val, num_test: images per split.
        min_shapes, max_shapes: shapes per image.
        min_radius, max_radius: shape radius as a fraction of the image side.
        **kwargs: :class:`DetectionDataModule` arguments.
    """

    def __init__(self, num_train: int = 4000, num_val: int = 500, num_test: int = 500, min_shapes: int = 1,
                 max_shapes: int = 3, min_radius: float = 0.1, max_radius: float = 0.22, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.split_sizes = {"train": num_train, "val": num_val, "test": num_test}
        self.min_shapes, self.max_shapes = min_shapes, max_shapes
        self.min_radius, self.max_radius = min_radius, max_radius

    @classmethod
    def default_normalization(cls, data_cfg: Mapping[str, Any]) -> str:
        return "shapes"

    def build_dataset(self, split: str, transform: Callable[..., Any] | None) -> ShapesDetectionDataset:
        return ShapesDetectionDataset(split, self.split_sizes[split], int(self.image_size), self.seed,
                                      self.min_shapes, self.max_shapes, self.min_radius, self.max_radius, transform)
