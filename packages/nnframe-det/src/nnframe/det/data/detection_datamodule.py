"""Base datamodule of the detection datasets: batches as lists, boxes in the pre-flight check."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nnframe.core.data import DataReport, VisionDataModule
from nnframe.det.data.box_checks import check_boxes, sizes_of


def collate_detection(samples: list[Any]) -> tuple[list[Any], list[Any]]:
    """A batch as torchvision's detection references build it: ``(images, targets)`` as two
    lists (images of different sizes, a different number of boxes each)."""
    images, targets = zip(*samples, strict=True)
    return list(images), list(targets)


class DetectionDataModule(VisionDataModule):
    """A :class:`~nnframe.core.data.VisionDataModule` whose samples are ``(image, target dict)``.

    Batches are ``(list of (C, H, W) images, list of target dicts)``; the pre-flight check adds
    the boxes (:func:`~nnframe.det.data.box_checks.check_boxes`).

    Args:
        fix_boxes: clip boxes that reach outside their image and leave out degenerate ones
            (counted) instead of stopping on them.
        **kwargs: :class:`VisionDataModule` arguments.
    """

    def __init__(self, fix_boxes: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fix_boxes = fix_boxes

    def collate(self, samples: list[Any]) -> Any:
        """Build a batch from dataset samples (every loader's ``collate_fn``)."""
        return collate_detection(samples)

    def check_data(self, report: DataReport, file_infos: dict[Any, Any], splits: Sequence[str]) -> None:
        names = self.class_names
        for split in splits:
            dataset = self.datasets[split]
            annotations = dataset.annotations()
            files = dataset.sample_files() if callable(getattr(dataset, "sample_files", None)) else None
            images = [f[0] for f in files] if files else [f"{split} image {i}" for i in range(len(annotations))]
            check_boxes(report, split, annotations, images, sizes_of(annotations, files, file_infos), len(names),
                        names, self.fix_boxes)
