"""Small detection datasets written in their real on-disk formats (COCO, Pascal VOC, YOLO), for
tests and demos."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
from PIL import Image

#: Per image: (file name, width, height, [(class name, x1, y1, x2, y2, crowd/difficult)]).
IMAGES = [
    ("a.jpg", 64, 48, [("cat", 4, 6, 30, 40, 0), ("dog", 20.5, 10, 60, 44, 0)]),
    ("b.jpg", 40, 56, [("dog", 2, 3, 20, 30, 0), ("cat", 0, 0, 40, 56, 1)]),
    ("c.jpg", 32, 32, []),
]
CLASSES = ["cat", "dog"]


def write_images(folder: Path, names: list[tuple[str, int, int]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for name, width, height in names:
        Image.fromarray(rng.integers(0, 255, (height, width, 3), dtype=np.uint8)).save(folder / name)


def write_coco(root: Path, images=IMAGES, category_ids=(3, 7)) -> tuple[Path, Path]:
    """A COCO instances file (category ids not 0-based, a crowd region, an image without boxes)."""
    folder = root / "images"
    write_images(folder, [(n, w, h) for n, w, h, _ in images])
    ids = dict(zip(CLASSES, category_ids, strict=True))
    content = {"images": [], "annotations": [], "categories": [{"id": ids[c], "name": c} for c in reversed(CLASSES)]}
    for number, (name, width, height, boxes) in enumerate(images, start=1):
        content["images"].append({"id": number * 10, "file_name": name, "width": width, "height": height})
        for cls, x1, y1, x2, y2, crowd in boxes:
            content["annotations"].append({"id": len(content["annotations"]) + 1, "image_id": number * 10,
                                           "category_id": ids[cls], "bbox": [x1, y1, x2 - x1, y2 - y1],
                                           "area": (x2 - x1) * (y2 - y1), "iscrowd": crowd})
    path = root / "instances.json"
    path.write_text(json.dumps(content))
    return path, folder


def write_voc(root: Path, images=IMAGES, image_set: str = "train") -> Path:
    """A VOCdevkit/VOC2012 tree (difficult flags from the last field)."""
    voc = root / "VOCdevkit" / "VOC2012"
    write_images(voc / "JPEGImages", [(n, w, h) for n, w, h, _ in images])
    (voc / "Annotations").mkdir(parents=True, exist_ok=True)
    (voc / "ImageSets" / "Main").mkdir(parents=True, exist_ok=True)
    for name, width, height, boxes in images:
        annotation = ET.Element("annotation")
        ET.SubElement(annotation, "filename").text = name
        size = ET.SubElement(annotation, "size")
        for key, value in (("width", width), ("height", height), ("depth", 3)):
            ET.SubElement(size, key).text = str(value)
        for cls, x1, y1, x2, y2, difficult in boxes:
            obj = ET.SubElement(annotation, "object")
            ET.SubElement(obj, "name").text = cls
            ET.SubElement(obj, "difficult").text = str(difficult)
            box = ET.SubElement(obj, "bndbox")
            for key, value in (("xmin", x1), ("ymin", y1), ("xmax", x2), ("ymax", y2)):
                ET.SubElement(box, key).text = str(round(value))  # VOC's pixel coordinates are integers
        ET.ElementTree(annotation).write(voc / "Annotations" / f"{Path(name).stem}.xml")
    listing = voc / "ImageSets" / "Main" / f"{image_set}.txt"
    listing.write_text("".join(f"{Path(n).stem}\n" for n, *_ in images))
    return voc


def write_yolo(root: Path, images=IMAGES, split: str = "train") -> Path:
    """images/<split> and labels/<split> (no label file for the image without boxes), classes.txt."""
    write_images(root / "images" / split, [(n, w, h) for n, w, h, _ in images])
    (root / "labels" / split).mkdir(parents=True, exist_ok=True)
    for name, width, height, boxes in images:
        if not boxes:
            continue
        rows = [f"{CLASSES.index(c)} {(x1 + x2) / 2 / width:.6f} {(y1 + y2) / 2 / height:.6f} "
                f"{(x2 - x1) / width:.6f} {(y2 - y1) / height:.6f}" for c, x1, y1, x2, y2, _ in boxes]
        (root / "labels" / split / f"{Path(name).stem}.txt").write_text("\n".join(rows) + "\n")
    (root / "classes.txt").write_text("\n".join(CLASSES) + "\n")
    return root
