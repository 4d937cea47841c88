"""A user's own images and masks: ``root/<split>/images/*`` with ``root/<split>/masks/*.png``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nnframe.core.data import IMAGE_EXTENSIONS
from nnframe.core.errors import DatasetError
from nnframe.seg.data.segmentation_datamodule import SegmentationDataModule
from nnframe.seg.data.segmentation_dataset import SegmentationDataset


class MaskFolderDataModule(SegmentationDataModule):
    """Images with a mask of the same file stem::

        root/train/images/0001.jpg   root/train/masks/0001.png
        root/val/images/...          root/val/masks/...       (optional: else val_fraction of train)
        root/test/images/...         root/test/masks/...      (optional: else val)

    A mask holds one class index per pixel (8-bit grey or palette PNG), 255 for pixels to ignore;
    with two classes, masks stored as 0/255 are read as 0/1.

    Args:
        class_names: names of the classes, index = class; default ``background``, ``class_1``, ...
            from ``num_classes``.
        images_dir, masks_dir: folder names inside each split folder.
        mask_suffix: extension of the mask files.
        **kwargs: :class:`SegmentationDataModule` arguments (``root``, ``num_classes``, ...).
    """

    def __init__(self, class_names: Sequence[str] | None = None, images_dir: str = "images", masks_dir: str = "masks",
                 mask_suffix: str = ".png", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if class_names is None and self.expected_num_classes is None:
            raise DatasetError("the mask folder needs data.num_classes=<N> or data.class_names=[background,...]")
        self.folder_class_names = (
            list(class_names) if class_names is not None
            else ["background", *(f"class_{i}" for i in range(1, int(self.expected_num_classes or 0)))]
        )
        self.images_dir = images_dir
        self.masks_dir = masks_dir
        self.mask_suffix = mask_suffix
        self.image_mode = "L" if self.in_channels == 1 else "RGB"
        self.available_splits = tuple(s for s in ("train", "val", "test") if (self.root / s).is_dir())

    def prepare_data(self) -> None:
        if not (self.root / "train" / self.images_dir).is_dir():
            raise DatasetError(
                f"no {self.root / 'train' / self.images_dir} folder; data.root must hold "
                f"train/{self.images_dir}/<image> and train/{self.masks_dir}/<image stem>{self.mask_suffix}"
            )

    def load_split(self, split: str) -> SegmentationDataset:
        self.prepare_data()
        image_dir, mask_dir = self.root / split / self.images_dir, self.root / split / self.masks_dir
        images = sorted(p for p in image_dir.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)
        if not images:
            raise DatasetError(f"no images ({', '.join(IMAGE_EXTENSIONS)}) in {image_dir}")
        samples = []
        for image in images:
            mask = (mask_dir / image.relative_to(image_dir)).with_suffix(self.mask_suffix)
            if not mask.is_file():
                raise DatasetError(f"no mask for image {image}: expected {mask}")
            samples.append((image, mask))
        return SegmentationDataset(samples, self.folder_class_names, ignore_index=self.ignore_index,
                                   image_mode=self.image_mode)
