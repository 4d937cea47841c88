"""The embedded shapes dataset as a :class:`VisionDataset`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torchvision import tv_tensors

from nnframe.core.data.base.vision_dataset import VisionDataset
from nnframe.core.data.synthetic.shapes import SHAPE_NAMES, generate_shapes, shapes_split_seed

TARGET_KINDS = ("label", "mask")


class ShapesDataset(VisionDataset):
    """Generated shape images held in memory, for classification (``target="label"``) or
    segmentation (``target="mask"``: class ``k`` drawn as ``k + 1``, 0 background).

    Args:
        split: ``train``, ``val`` or ``test``; each split has its own images.
        num_samples: images in this split.
        image_size: side in pixels.
        seed: base seed; the split is generated from ``seed`` and the split name.
        target: ``label`` or ``mask``.
        min_shapes, max_shapes: shapes per image.
        transform: called as ``transform(image, target)``.
    """

    def __init__(
        self,
        split: str = "train",
        num_samples: int = 1000,
        image_size: int = 32,
        seed: int = 0,
        target: str = "label",
        min_shapes: int = 1,
        max_shapes: int = 1,
        transform: Callable[..., Any] | None = None,
    ) -> None:
        super().__init__(transform)
        if target not in TARGET_KINDS:
            raise ValueError(f"unknown target {target!r}; choose one of {TARGET_KINDS}")
        arrays = generate_shapes(num_samples, image_size, shapes_split_seed(seed, split), min_shapes, max_shapes)
        self.target = target
        self.images = torch.from_numpy(arrays.images).permute(0, 3, 1, 2).contiguous()  # (N, 3, H, W) uint8
        self.masks = torch.from_numpy(arrays.masks)  # (N, H, W) uint8
        self.labels = torch.from_numpy(arrays.labels)

    @property
    def class_names(self) -> list[str]:
        if self.target == "mask":
            return ["background", *SHAPE_NAMES]
        return list(SHAPE_NAMES)

    @property
    def targets(self) -> Sequence[int] | None:
        return self.labels.tolist() if self.target == "label" else None

    def __len__(self) -> int:
        return len(self.images)

    def tensors(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Every sample untransformed, for the on-device data path: (N, 3, H, W) uint8 images and
        their targets, (N,) int64 labels or (N, H, W) uint8 masks."""
        return self.images, self.masks if self.target == "mask" else self.labels

    def load(self, index: int) -> tuple[Any, Any]:
        image = tv_tensors.Image(self.images[index])
        if self.target == "mask":
            return image, tv_tensors.Mask(self.masks[index].long())
        return image, int(self.labels[index])
