"""COCO mAP through torchmetrics, as scalars the task module logs: ``map``, ``map_50``,
``map_75``, ``mar_100``, the size breakdown, and ``ap/<class>`` per class."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from typing import Any

import torch
from torchmetrics.detection import MeanAveragePrecision

#: The overall values logged (torchmetrics' names).
SUMMARY_KEYS = ("map", "map_50", "map_75", "map_small", "map_medium", "map_large", "mar_1", "mar_10", "mar_100")


def coco_backend() -> str:
    """``faster_coco_eval`` where it is installed (several times faster), else ``pycocotools``."""
    return "faster_coco_eval" if importlib.util.find_spec("faster_coco_eval") else "pycocotools"


class DetectionMAP(MeanAveragePrecision):
    """torchmetrics' ``MeanAveragePrecision`` (boxes, XYXY, COCO's evaluation; crowd regions in the
    targets' ``iscrowd`` are ignored as COCO does; its list states are gathered across processes
    under DDP) whose ``compute`` returns scalars only: the :data:`SUMMARY_KEYS` that apply (not
    torchmetrics' -1 for a size range without boxes) and ``ap/<class name>`` for every class with
    ground truth (``class_names`` set by the module).

    Args:
        class_names: index = class (names of the per-class values; ``ap/<index>`` without them).
        backend: ``pycocotools`` or ``faster_coco_eval`` (default: :func:`coco_backend`).
    """

    def __init__(self, class_names: Sequence[str] = (), backend: str | None = None, **kwargs: Any) -> None:
        super().__init__(box_format="xyxy", iou_type="bbox", class_metrics=True, backend=backend or coco_backend(),
                         **kwargs)
        self.class_names = list(class_names)

    def compute(self) -> dict[str, torch.Tensor]:  # type: ignore[override]
        values = super().compute()
        # -1: nothing to measure (no box in a size range: the shapes have no large objects).
        out = {key: values[key] for key in SUMMARY_KEYS if key in values and float(values[key]) >= 0}
        classes = values.get("classes", torch.zeros(0)).reshape(-1).tolist()
        per_class = values.get("map_per_class", torch.zeros(0)).reshape(-1)
        if len(per_class) == len(classes):
            for index, ap in zip(classes, per_class, strict=True):
                if float(ap) < 0:  # -1: no ground truth of this class
                    continue
                name = self.class_names[int(index)] if 0 <= int(index) < len(self.class_names) else str(int(index))
                out[f"ap/{name}"] = ap
        return out
