"""Detection transforms: torchvision v2 on an image and its target dict, so that the boxes
(``tv_tensors.BoundingBoxes``) follow every flip, crop and resize; boxes that a geometric step
pushed out of the image or shrank to nothing are removed with their labels
(``SanitizeBoundingBoxes``). The images stay in [0, 1]: torchvision's detectors normalise and
resize them themselves (``GeneralizedRCNNTransform``)."""

from __future__ import annotations

from typing import Any

import torch
from torchvision.transforms import v2


def labels_and_crowd(inputs: Any) -> tuple[torch.Tensor, ...]:
    """What ``SanitizeBoundingBoxes`` removes together with each dropped box: the target's
    ``labels`` and ``iscrowd``. Shape: (K,) each."""
    target = inputs[1] if isinstance(inputs, tuple | list) and len(inputs) == 2 else inputs
    return tuple(target[key] for key in ("labels", "iscrowd") if key in target)


class DetectionTransform:
    """``transform(image, target)`` for training and evaluation, ``transform(image)`` for
    prediction (no target: the image steps only).

    Args:
        steps: v2 transforms applied to the image and its boxes (after ``ToImage``; before the
            float conversion).
        min_box_size: boxes smaller than this (pixels, either side) after the steps are removed.
        sanitize: clip the boxes to the image and remove the degenerate ones after the steps
            (``ClampBoundingBoxes`` + ``SanitizeBoundingBoxes``). Always on after crops and zooms
            (the presets below); flips move every box exactly, so data whose boxes are inside
            their images (the generated shapes) may skip it: half the per-image cost.
    """

    def __init__(self, steps: list[Any] | None = None, min_box_size: float = 1.0, sanitize: bool = True) -> None:
        self.steps = v2.Compose([v2.ToImage(), *(steps or []), v2.ToDtype(torch.float32, scale=True)])
        self.sanitize = v2.Compose([v2.ClampBoundingBoxes(),
                                    v2.SanitizeBoundingBoxes(min_size=min_box_size, labels_getter=labels_and_crowd)]
                                   ) if sanitize else None

    def __call__(self, image: Any, target: dict[str, Any] | None = None) -> Any:
        if target is None:
            return self.steps(image)
        image, target = self.steps(image, target)
        if self.sanitize is None or len(target["boxes"]) == 0:
            return image, target
        return self.sanitize(image, target)

    def __repr__(self) -> str:
        return f"DetectionTransform({self.steps})"


def detection_train_transform(hflip: bool = True, vflip: bool = False, zoom_out: float | None = None,
                              iou_crop: bool = False, photometric: bool = False,
                              min_box_size: float = 1.0, sanitize: bool = True) -> DetectionTransform:
    """The training transform (after torchvision's detection references' presets).

    Args:
        hflip, vflip: random horizontal / vertical flips.
        zoom_out: ``RandomZoomOut`` up to this side ratio (e.g. 2.0 as in SSD), None: off.
        iou_crop: ``RandomIoUCrop`` (SSD's crops keeping boxes at some overlap).
        photometric: ``RandomPhotometricDistort`` (brightness, contrast, hue, saturation).
        min_box_size: boxes smaller than this after the steps are removed.
        sanitize: clip and sanitize the boxes after the steps (forced on with ``zoom_out`` or
            ``iou_crop``; see :class:`DetectionTransform`).
    """
    steps: list[Any] = []
    if photometric:
        steps.append(v2.RandomPhotometricDistort(p=0.5))
    if zoom_out:
        steps.append(v2.RandomZoomOut(fill={v2.Image: 0, "others": 0}, side_range=(1.0, zoom_out), p=0.5))
    if iou_crop:
        steps.append(v2.RandomIoUCrop())
    if hflip:
        steps.append(v2.RandomHorizontalFlip())
    if vflip:
        steps.append(v2.RandomVerticalFlip())
    return DetectionTransform(steps, min_box_size, sanitize or bool(zoom_out) or iou_crop)


def detection_eval_transform(min_box_size: float = 1.0, sanitize: bool = True) -> DetectionTransform:
    """The validation / test / predict transform: the image as a float tensor, boxes checked."""
    return DetectionTransform([], min_box_size, sanitize)
