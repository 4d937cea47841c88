"""Pascal VOC detection data: ``Annotations/*.xml`` beside ``JPEGImages/`` and the image lists of
``ImageSets/Main/<split>.txt`` (torchvision's ``VOCDetection`` layout)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nnframe.core.errors import DatasetError
from nnframe.det.data.detection_dataset import BoxAnnotation

VOC_CLASSES = ("aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow", "diningtable",
               "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor")


def read_voc_xml(path: str | Path, class_names: Sequence[str], use_difficult: bool = True) -> BoxAnnotation:
    """The boxes of one VOC XML file, ``xmin ymin xmax ymax`` as written (as torchvision's
    ``VOCDetection`` wrapped for transforms v2 gives them).

    Args:
        path: the XML file.
        class_names: index = class; an object of another name is an error.
        use_difficult: objects marked ``difficult`` are training targets (torchvision's reader
            keeps them); False: ignored regions (as VOC's evaluation treats them).

    Raises:
        DatasetError: the file cannot be parsed, lacks a box coordinate, or names an unknown class.
    """
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as error:
        raise DatasetError(f"cannot read VOC annotation {path}: {error}") from error
    index = {name: i for i, name in enumerate(class_names)}
    boxes, labels, crowd = [], [], []
    for obj in root.iter("object"):
        name = (obj.findtext("name") or "").strip()
        if name not in index:
            raise DatasetError(f"{path}: object class {name!r} is not one of the {len(class_names)} classes "
                               f"({', '.join(class_names[:20])}); list the classes with data.class_names")
        box = obj.find("bndbox")
        try:
            boxes.append([float(box.findtext(k)) for k in ("xmin", "ymin", "xmax", "ymax")])  # type: ignore[union-attr,arg-type]
        except (AttributeError, TypeError, ValueError) as error:
            raise DatasetError(f"{path}: object {name!r} has no valid bndbox xmin/ymin/xmax/ymax") from error
        labels.append(index[name])
        difficult = (obj.findtext("difficult") or "0").strip() == "1"
        crowd.append(difficult and not use_difficult)
    size = root.find("size")
    width_height = None
    if size is not None and size.findtext("width") and size.findtext("height"):
        width_height = (int(float(size.findtext("width"))), int(float(size.findtext("height"))))  # type: ignore[arg-type]
    return BoxAnnotation(np.array(boxes, dtype=np.float32), np.array(labels, dtype=np.int64),
                         np.array(crowd, dtype=bool), width_height, str(path))


def read_voc_split(voc_root: str | Path, image_set: str, class_names: Sequence[str] = VOC_CLASSES,
                   use_difficult: bool = True) -> tuple[list[Path], list[BoxAnnotation]]:
    """The images and boxes of ``ImageSets/Main/<image_set>.txt`` under ``voc_root``
    (``.../VOCdevkit/VOC2012``).

    Raises:
        DatasetError: the folder or the list is missing (with ``data.download=true`` as the fix).
    """
    root = Path(voc_root)
    listing = root / "ImageSets" / "Main" / f"{image_set}.txt"
    if not listing.is_file():
        raise DatasetError(f"no VOC image list {listing}: set data.root to the folder holding VOCdevkit/, or "
                           "add data.download=true")
    ids = [line.strip() for line in listing.read_text().splitlines() if line.strip()]
    images = [root / "JPEGImages" / f"{i}.jpg" for i in ids]
    annotations = [read_voc_xml(root / "Annotations" / f"{i}.xml", class_names, use_difficult) for i in ids]
    return images, annotations
