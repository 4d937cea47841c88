"""Images with their boxes drawn (torchvision's ``draw_bounding_boxes``): true boxes thin, in
their class colour; predicted boxes thick, labelled with class and score."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from torchvision.utils import draw_bounding_boxes

from nnframe.core.cv_tools.visualization import class_palette, labelled_image_grid

#: Small images are enlarged to this side before drawing, so that labels are readable at actual size.
DRAW_SIDE = 256


def class_colours(num_classes: int) -> list[tuple[int, int, int]]:
    """One colour per class (core's palette, without its black background entry)."""
    palette = class_palette(num_classes + 1)[1:]
    return [tuple(int(c) for c in colour) for colour in palette]


def _name(class_names: Sequence[str], index: int) -> str:
    return class_names[index] if 0 <= index < len(class_names) else str(index)


def _names_line(labels: Any, class_names: Sequence[str], limit: int = 4) -> str:
    names = [_name(class_names, int(i)) for i in labels]
    return ", ".join(names[:limit]) + (f" +{len(names) - limit}" if len(names) > limit else "")


def draw_boxes(image: torch.Tensor, class_names: Sequence[str], target: dict[str, Any] | None = None,
               prediction: dict[str, Any] | None = None, score_threshold: float = 0.3,
               side: int | None = DRAW_SIDE) -> torch.Tensor:
    """One image with its true and predicted boxes.

    Args:
        image: (C, H, W) float in [0, 1] (or uint8).
        class_names: index = class; colours follow the index.
        target: ``boxes`` (K, 4) XYXY and ``labels``; drawn thin, unlabelled.
        prediction: ``boxes``, ``labels``, ``scores``; those above ``score_threshold`` drawn thick
            with ``name score``.
        score_threshold: the lowest score drawn.
        side: enlarge the image so that its longer side is at least this (None: as it is).

    Returns:
        (3, H', W') uint8.
    """
    picture = image.detach().cpu()
    if picture.dtype != torch.uint8:
        picture = (picture.float().clamp(0, 1) * 255).round().to(torch.uint8)
    if picture.shape[0] == 1:
        picture = picture.expand(3, -1, -1)
    scale = 1.0
    if side and max(picture.shape[-2:]) < side:
        scale = side / max(picture.shape[-2:])
        size = (round(picture.shape[-2] * scale), round(picture.shape[-1] * scale))
        picture = F.interpolate(picture[None].float(), size=size, mode="nearest")[0].to(torch.uint8)
    colours = class_colours(max(len(class_names), 1))

    def colour(index: int) -> tuple[int, int, int]:
        return colours[index % len(colours)]

    if target is not None and len(target["boxes"]):
        boxes = torch.as_tensor(target["boxes"]).detach().cpu().float().reshape(-1, 4) * scale
        labels = [int(v) for v in target["labels"]]
        picture = draw_bounding_boxes(picture, boxes, colors=[colour(i) for i in labels], width=2)
    if prediction is not None and len(prediction["boxes"]):
        keep = prediction["scores"].detach().cpu() >= score_threshold
        boxes = prediction["boxes"].detach().cpu().float().reshape(-1, 4)[keep] * scale
        labels = [int(v) for v in prediction["labels"].detach().cpu()[keep]]
        scores = prediction["scores"].detach().cpu()[keep].tolist()
        if len(boxes):
            text = [f"{_name(class_names, i)} {s:.2f}" for i, s in zip(labels, scores, strict=True)]
            picture = draw_bounding_boxes(picture, boxes, labels=text, colors=[colour(i) for i in labels], width=3,
                                          font_size=12)
    return picture


def detection_figure(images: Sequence[torch.Tensor], class_names: Sequence[str],
                     targets: Sequence[dict[str, Any]] | None = None,
                     predictions: Sequence[dict[str, Any]] | None = None, score_threshold: float = 0.3,
                     header: str | None = None) -> Figure:
    """A grid of images with their boxes (see :func:`draw_boxes`), titled with the classes present."""
    cells, titles = [], []
    side = max(DRAW_SIDE, *(max(int(i.shape[-2]), int(i.shape[-1])) for i in images)) if images else DRAW_SIDE
    for index, image in enumerate(images):
        target = targets[index] if targets is not None else None
        prediction = predictions[index] if predictions is not None else None
        drawn = draw_boxes(image, class_names, target, prediction, score_threshold, DRAW_SIDE)
        canvas = torch.zeros(3, side, side, dtype=torch.uint8)
        canvas[:, : drawn.shape[1], : drawn.shape[2]] = drawn[:, :side, :side]
        cells.append(canvas.float() / 255)
        lines = []
        if target is not None:
            lines.append(_names_line(target["labels"], class_names) or "(no box)")
        if prediction is not None:
            found = prediction["labels"][prediction["scores"] >= score_threshold]
            lines.append("found: " + (_names_line(found, class_names) or "nothing"))
        titles.append("\n".join(lines) or f"image {index}")
    return labelled_image_grid(torch.stack(cells), titles, header=header)
