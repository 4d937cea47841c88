"""The detection part of the pre-flight check: every split's boxes against its images and classes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nnframe.core.data import DataReport
from nnframe.det.data.detection_dataset import BoxAnnotation

#: Pixels a box may reach past the image edge before it counts as outside (rounding in tools).
EDGE_TOLERANCE = 1.0
FIX_BOXES = ("fix the annotations, or set data.fix_boxes=true to clip boxes to their image and leave out "
             "the degenerate ones (counted)")


def _where(annotation: BoxAnnotation, image: Any) -> str:
    return annotation.source or str(image)


def check_boxes(report: DataReport, split: str, annotations: Sequence[BoxAnnotation], images: Sequence[Any],
                sizes: Sequence[tuple[int, int] | None], num_classes: int, class_names: Sequence[str],
                fix_boxes: bool) -> None:
    """Add to ``report`` what is wrong with one split's boxes.

    Problems (stop the run, each naming its files): class ids outside ``0..num_classes-1``;
    boxes outside their image or degenerate (zero or negative width or height), unless
    ``fix_boxes`` (then counted in a note: the transforms clip and drop them). Notes: images
    without boxes, crowd regions.

    Args:
        report: the pre-flight report.
        split: the split's name.
        annotations: its boxes, per image.
        images: what names each image (its file, or ``<split> image <i>``).
        sizes: ``(width, height)`` per image, None where unknown.
        num_classes: classes of the data.
        class_names: index = class.
        fix_boxes: ``data.fix_boxes``.
    """
    bad_class: list[tuple[str, str]] = []
    outside: list[tuple[str, str]] = []
    degenerate: list[tuple[str, str]] = []
    empty = crowd = total = 0
    for annotation, image, size in zip(annotations, images, sizes, strict=True):
        boxes, labels = annotation.boxes, annotation.labels
        total += len(boxes)
        crowd += int(annotation.iscrowd.sum())
        if len(boxes) == int(annotation.iscrowd.sum()):
            empty += 1
        wrong = (labels < 0) | (labels >= num_classes)
        if wrong.any():
            bad_class.append((_where(annotation, image), f"class ids {sorted(set(labels[wrong].tolist()))} "
                              f"(the data has {num_classes} classes: 0..{num_classes - 1})"))
        small = (boxes[:, 2] <= boxes[:, 0]) | (boxes[:, 3] <= boxes[:, 1])
        if small.any():
            first = boxes[small][0].round(2).tolist()
            degenerate.append((_where(annotation, image), f"{int(small.sum())} box(es) of zero or negative "
                               f"width/height, e.g. x1,y1,x2,y2={first}"))
        if size is not None:
            width, height = size
            out = ((boxes[:, 0] < -EDGE_TOLERANCE) | (boxes[:, 1] < -EDGE_TOLERANCE)
                   | (boxes[:, 2] > width + EDGE_TOLERANCE) | (boxes[:, 3] > height + EDGE_TOLERANCE))
            if out.any():
                first = boxes[out][0].round(2).tolist()
                outside.append((_where(annotation, image), f"{int(out.sum())} box(es) outside the {width}x{height} "
                                f"image, e.g. x1,y1,x2,y2={first}"))
    if bad_class:
        report.add_issue(f"{len(bad_class)} {split} image(s) have class ids outside the {num_classes} classes "
                         f"({', '.join(class_names[:10])}{'...' if len(class_names) > 10 else ''}):",
                         "fix the class ids, or list every class (data.class_names)", bad_class)
    for found, what in ((outside, "boxes outside their image"), (degenerate, "degenerate boxes")):
        if not found:
            continue
        if fix_boxes:
            report.note(f"{split}: {len(found)} image(s) with {what}: clipped / left out (data.fix_boxes=true)")
        else:
            report.add_issue(f"{len(found)} {split} image(s) have {what}:", FIX_BOXES, found)
    if empty:
        report.note(f"{split}: {empty} of {len(annotations)} images have no boxes (kept: background images)")
    if crowd:
        report.note(f"{split}: {crowd} crowd region(s) (iscrowd=1) of {total} boxes: not training targets; "
                    "ignored in the evaluation, as COCO's does")


def sizes_of(annotations: Sequence[BoxAnnotation], files: Sequence[tuple[Path, ...]] | None,
             file_infos: dict[Any, Any]) -> list[tuple[int, int] | None]:
    """Each image's ``(width, height)``: the annotation's, else the probed file's, else None."""
    sizes: list[tuple[int, int] | None] = []
    for index, annotation in enumerate(annotations):
        size = annotation.size
        if size is None and files is not None:
            info = file_infos.get(files[index][0])
            if info is not None and getattr(info, "width", None):
                size = (int(info.width), int(info.height))
        sizes.append(size)
    return sizes


def count_boxes(annotations: Sequence[BoxAnnotation]) -> np.ndarray:
    """Boxes per image (crowd regions left out). Shape: (N,)."""
    return np.array([int((~a.iscrowd).sum()) for a in annotations], dtype=np.int64)
