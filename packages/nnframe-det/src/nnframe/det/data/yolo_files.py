"""YOLO-format detection data: ``images/<split>/*`` and ``labels/<split>/*.txt`` beside them, one
``class cx cy w h`` row per box, normalised to the image's width and height (ultralytics' layout)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from nnframe.core.data import find_image_files
from nnframe.core.errors import DatasetError
from nnframe.det.data.detection_dataset import BoxAnnotation


def read_yolo_labels(path: str | Path, size: tuple[int, int]) -> BoxAnnotation:
    """The boxes of one label file in pixels of an image of ``size = (width, height)``.

    A missing file is an image without boxes (YOLO's convention).

    Raises:
        DatasetError: a row that is not ``class cx cy w h`` (naming the file and line).
    """
    file = Path(path)
    width, height = size
    rows: list[list[float]] = []
    if file.is_file():
        for number, line in enumerate(file.read_text().splitlines(), start=1):
            fields = line.split()
            if not fields:
                continue
            try:
                values = [float(v) for v in fields]
            except ValueError:
                values = []
            if len(values) != 5 or values[0] != int(values[0]):
                raise DatasetError(f"{file}, line {number}: {line.strip()!r} is not a YOLO row "
                                   "`class cx cy w h` (an integer class, then 4 numbers in 0..1)")
            rows.append(values)
    array = np.array(rows, dtype=np.float64).reshape(-1, 5)
    cx, cy, w, h = array[:, 1] * width, array[:, 2] * height, array[:, 3] * width, array[:, 4] * height
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1).astype(np.float32)
    return BoxAnnotation(boxes, array[:, 0].astype(np.int64), size=size, source=str(file))


def image_size(path: str | Path) -> tuple[int, int]:
    """``(width, height)`` from the image's header (no decoding).

    Raises:
        DatasetError: the file cannot be identified as an image.
    """
    try:
        with Image.open(path) as image:
            return image.size
    except (OSError, SyntaxError, ValueError) as error:
        raise DatasetError(f"cannot read image {path}: {error}. Delete or replace the file") from error


def read_yolo_split(root: str | Path, split: str) -> tuple[list[Path], list[Path]]:
    """The images of ``images/<split>`` and their label files ``labels/<split>/<same path>.txt``.

    Raises:
        DatasetError: no ``images/<split>`` folder or no image in it.
    """
    folder = Path(root) / "images" / split
    if not folder.is_dir():
        raise DatasetError(f"no YOLO image folder {folder}: expected {root}/images/<split>/ and "
                           f"{root}/labels/<split>/ (set data.root)")
    images = find_image_files(folder)
    if not images:
        raise DatasetError(f"no image in {folder}")
    labels = [Path(root) / "labels" / split / Path(p).relative_to(folder).with_suffix(".txt") for p in images]
    return images, labels


def read_class_names(root: str | Path, class_names: Sequence[str] | None) -> list[str]:
    """The classes: ``class_names`` when given, else ``<root>/classes.txt`` (one per line), else the
    ``names`` of ``<root>/data.yaml`` (ultralytics' dataset file).

    Raises:
        DatasetError: none of them.
    """
    if class_names:
        return list(class_names)
    base = Path(root)
    if (base / "classes.txt").is_file():
        return [line.strip() for line in (base / "classes.txt").read_text().splitlines() if line.strip()]
    if (base / "data.yaml").is_file():
        from omegaconf import OmegaConf

        names = OmegaConf.to_container(OmegaConf.load(base / "data.yaml")).get("names")  # type: ignore[union-attr]
        if isinstance(names, dict):
            return [str(names[k]) for k in sorted(names)]
        if isinstance(names, list):
            return [str(n) for n in names]
    raise DatasetError(f"the YOLO data at {root} does not name its classes: add data.class_names=[a,b,...], or "
                       f"a {base / 'classes.txt'} with one name per line")
