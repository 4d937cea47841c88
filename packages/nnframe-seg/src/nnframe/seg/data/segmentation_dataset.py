"""Image files paired with mask files: the dataset behind Pets, VOC, Cityscapes and mask folders."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torchvision import tv_tensors

from nnframe.core.data import FileVisionDataset, load_image
from nnframe.core.errors import DatasetError
from nnframe.seg.data.mask_decoding import MaskDecoding
from nnframe.seg.data.mask_files import load_mask
from nnframe.seg.data.mask_palettes import MaskPalette


class SegmentationDataset(FileVisionDataset):
    """``(image, mask)`` pairs read from files; masks are checked as they are read (and all of
    them by the pre-flight check before the first step).

    Args:
        samples: ``(image path, mask path)`` pairs.
        class_names: index = class.
        transform: joint transform called as ``transform(image, mask)``.
        ignore_index: value of unlabelled pixels.
        lookup, binary_255, palette: how stored values become classes (see
            :class:`~nnframe.seg.data.mask_decoding.MaskDecoding`).
        image_mode: PIL mode of the images (``RGB``, ``L``).

    ``load`` returns a PIL image and a ``tv_tensors.Mask`` (H, W) int64, so that
    torchvision.transforms.v2 moves both together (nearest-neighbour for the mask).
    """

    file_kinds = ("image", "label")

    def __init__(self, samples: Sequence[tuple[Path, Path]], class_names: Sequence[str],
                 transform: Callable[..., Any] | None = None, ignore_index: int | None = 255,
                 lookup: np.ndarray | None = None, binary_255: bool | None = None, image_mode: str = "RGB",
                 palette: MaskPalette | None = None) -> None:
        super().__init__([(Path(image), Path(mask)) for image, mask in samples], transform)
        self._class_names = list(class_names)
        self.ignore_index = ignore_index
        self.lookup = lookup
        self.binary_255 = binary_255
        self.image_mode = image_mode
        self.palette = palette

    @property
    def class_names(self) -> list[str]:
        return self._class_names

    @property
    def decoding(self) -> MaskDecoding:
        """How this dataset's stored mask values become classes."""
        return MaskDecoding(len(self._class_names), self.ignore_index, self.lookup, self.binary_255, self.palette)

    def load_mask(self, index: int) -> torch.Tensor:
        """The checked mask of sample ``index``. Shape: (H, W) int64."""
        mask_path = self.samples[index][1]
        values = load_mask(mask_path, len(self._class_names), self.ignore_index, self.lookup, self.binary_255,
                           self.palette)
        return torch.from_numpy(values)

    def load(self, index: int) -> tuple[Any, Any]:
        image_path, mask_path = self.samples[index]
        image = load_image(image_path, self.image_mode)
        mask = self.load_mask(index)
        if tuple(mask.shape) != (image.height, image.width):
            raise DatasetError(
                f"mask {mask_path} is {mask.shape[1]}x{mask.shape[0]} but image {image_path} is "
                f"{image.width}x{image.height} (read upright, by its EXIF orientation); a mask must have its "
                "image's size as a viewer shows it: re-export the mask or the image"
            )
        return image, tv_tensors.Mask(mask)

    def subset(self, indices: Sequence[int], transform: Callable[..., Any] | None) -> SegmentationDataset:
        """The same dataset restricted to ``indices``, with another transform."""
        subset = SegmentationDataset([self.samples[i] for i in indices], self._class_names, transform,
                                     self.ignore_index, self.lookup, self.binary_255, self.image_mode, self.palette)
        subset.ignored_files = list(self.ignored_files)
        return subset
