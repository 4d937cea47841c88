"""``predict`` output of detection: a CSV row per box, the COCO results JSON, and each image with
its boxes drawn."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import lightning as L
from torchvision.io import write_png

from nnframe.core.callbacks import PredictionWriter
from nnframe.det.figures import draw_boxes


class DetectionPredictionWriter(PredictionWriter):
    """Writes, under ``output_dir``:

    - ``predictions.csv``: ``path, class_index, class_name, score, x1, y1, x2, y2`` per box
      (pixels of the image as read), one ``path`` row with empty fields for an image without any;
    - ``predictions.json``: the COCO results format (``image_id``, ``category_id``, ``bbox`` as
      ``x, y, width, height``, ``score``); ``category_id`` is the class index, ``image_id`` the
      index of the image in ``images.json`` (``[{"id", "file_name"}]``, with ``categories``);
    - ``images/<name>.png``: each image with its boxes (with ``draw=true``).

    Args:
        output_dir: the folder.
        class_names: index = class.
        score_threshold: boxes scoring lower are not written.
        draw: write the images with their boxes.
    """

    def __init__(self, output_dir: str | Path, class_names: Sequence[str] = (), score_threshold: float = 0.3,
                 draw: bool = True) -> None:
        super().__init__(output_dir, class_names)
        self.score_threshold = score_threshold
        self.draw = draw
        self.json_path = self.output_dir / "predictions.json"
        self._results: list[dict[str, Any]] = []
        self._images: list[dict[str, Any]] = []

    def outputs(self) -> dict[str, Path]:
        drawn = {"drawn boxes": self.output_dir / "images"} if self.draw else {}
        return {**super().outputs(), "coco results": self.json_path, **drawn}

    def header(self) -> list[str]:
        return ["path", "class_index", "class_name", "score", "x1", "y1", "x2", "y2"]

    def _name(self, index: int) -> str:
        return self.class_names[index] if 0 <= index < len(self.class_names) else str(index)

    def rows(self, prediction: dict[str, Any], paths: Sequence[Path]) -> list[list[Any]]:
        rows: list[list[Any]] = []
        for path, detections, image in zip(paths, prediction["detections"], prediction["images"], strict=True):
            keep = detections["scores"] >= self.score_threshold
            boxes = detections["boxes"][keep].cpu().tolist()
            labels = detections["labels"][keep].cpu().tolist()
            scores = detections["scores"][keep].cpu().tolist()
            image_id = len(self._images)
            self._images.append({"id": image_id, "file_name": str(path)})
            if not boxes:
                rows.append([str(path), "", "", "", "", "", "", ""])
            for (x1, y1, x2, y2), label, score in zip(boxes, labels, scores, strict=True):
                rows.append([str(path), int(label), self._name(int(label)), f"{score:.4f}",
                             f"{x1:.1f}", f"{y1:.1f}", f"{x2:.1f}", f"{y2:.1f}"])
                self._results.append({"image_id": image_id, "category_id": int(label),
                                      "bbox": [round(x1, 2), round(y1, 2), round(x2 - x1, 2), round(y2 - y1, 2)],
                                      "score": round(score, 5)})
            if self.draw:
                drawn = draw_boxes(image, self.class_names, prediction=detections,
                                   score_threshold=self.score_threshold, side=None)
                folder = self.output_dir / "images"
                folder.mkdir(parents=True, exist_ok=True)
                write_png(drawn, str(folder / f"{image_id:06d}_{Path(path).stem}.png"))
        return rows

    def on_predict_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        super().on_predict_start(trainer, pl_module)
        self._results, self._images = [], []

    def on_predict_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        super().on_predict_end(trainer, pl_module)
        categories = [{"id": i, "name": name} for i, name in enumerate(self.class_names)]
        for path, content in ((self.json_path, self._results),
                              (self.output_dir / "images.json", {"images": self._images, "categories": categories})):
            tmp = path.with_suffix(".json.tmp")
            tmp.write_text(json.dumps(content))
            os.replace(tmp, path)
