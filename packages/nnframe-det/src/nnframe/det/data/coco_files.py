"""COCO-format detection data: an ``instances_*.json`` and its image folder (what labelling tools
such as CVAT, Label Studio and Roboflow export)."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from nnframe.core.errors import DatasetError
from nnframe.det.data.detection_dataset import BoxAnnotation


def read_coco(annotation_file: str | Path, image_dir: str | Path,
              category_ids: list[int] | None = None) -> tuple[list[Path], list[BoxAnnotation], list[str], list[int]]:
    """Read a COCO ``instances`` file.

    Boxes: ``bbox = [x, y, width, height]`` -> ``x1, y1, x2, y2`` (as torchvision's
    ``CocoDetection`` wrapped for transforms v2 gives them); classes: the ``categories`` sorted by
    id, their index is the class (``category_ids`` maps it back); ``iscrowd`` kept (crowd regions
    are ignored regions, as in COCO's evaluation).

    Args:
        annotation_file: the JSON.
        image_dir: the folder its ``file_name`` entries are relative to.
        category_ids: the category ids of another split (val read with train's classes).

    Returns:
        ``(image paths, annotations, class names, category ids)``, images in the file's order.

    Raises:
        DatasetError: the file is missing, not JSON, or lacks COCO's keys; an annotation names an
            unknown image or category.
    """
    path = Path(annotation_file)
    if not path.is_file():
        raise DatasetError(f"COCO annotation file not found: {path} (set data.train_annotations / "
                           "data.val_annotations, or data.root)")
    try:
        content = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DatasetError(f"cannot read COCO annotation file {path}: {error}") from error
    missing = [key for key in ("images", "annotations", "categories") if key not in content]
    if missing:
        raise DatasetError(f"{path} is not a COCO instances file: no {', '.join(missing)} "
                           "(expected keys: images, annotations, categories)")
    categories = sorted(content["categories"], key=lambda c: c["id"])
    own_ids = [int(c["id"]) for c in categories]
    ids = category_ids if category_ids is not None else own_ids
    names_by_id = {int(c["id"]): str(c["name"]) for c in categories}
    index_of = {cid: i for i, cid in enumerate(ids)}
    per_image: dict[int, list[dict[str, Any]]] = defaultdict(list)
    image_ids = {int(image["id"]) for image in content["images"]}
    problems: list[str] = []
    for annotation in content["annotations"]:
        if int(annotation["image_id"]) not in image_ids:
            problems.append(f"annotation {annotation.get('id')}: image_id {annotation['image_id']} is not in images")
            continue
        if int(annotation["category_id"]) not in index_of:
            problems.append(f"annotation {annotation.get('id')}: category_id {annotation['category_id']} is not in "
                            f"the categories ({', '.join(map(str, ids[:20]))})")
            continue
        per_image[int(annotation["image_id"])].append(annotation)
    if problems:
        raise DatasetError(f"{path}: {len(problems)} annotation(s) do not fit the file:\n  "
                           + "\n  ".join(problems[:20]) + ("\n  ..." if len(problems) > 20 else "")
                           + "\nFix: correct or remove them in the JSON")
    root = Path(image_dir)
    images, annotations = [], []
    for image in content["images"]:
        anns = per_image.get(int(image["id"]), [])
        xywh = np.array([a["bbox"] for a in anns], dtype=np.float32).reshape(-1, 4)
        boxes = np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], axis=1)
        labels = np.array([index_of[int(a["category_id"])] for a in anns], dtype=np.int64)
        crowd = np.array([bool(a.get("iscrowd", 0)) for a in anns], dtype=bool)
        size = (int(image["width"]), int(image["height"])) if "width" in image and "height" in image else None
        images.append(root / image["file_name"])
        annotations.append(BoxAnnotation(boxes, labels, crowd, size, f"{root / image['file_name']} ({path.name})"))
    names = [names_by_id.get(cid, str(cid)) for cid in ids]
    return images, annotations, names, ids
