"""Class-averaged and per-class IoU and Dice from one per-pixel confusion matrix (torchmetrics),
agreeing on which classes count: those present in the targets or the predictions of the split."""

from __future__ import annotations

from typing import Any

import torch
from torchmetrics import MetricCollection
from torchmetrics.classification import MulticlassConfusionMatrix


class ClassAveragedScore(MulticlassConfusionMatrix):
    """Mean IoU or mean Dice over the classes present in the targets or the predictions, or
    (``average="none"``) the score of every class, NaN for a class absent from both.

    Classes that never occur (in target nor prediction) are left out of the mean instead of
    counting as 0 or 1, and are NaN per class (the task module does not log them), so the mean
    is the mean of the per-class values logged; pixels equal to ``ignore_index`` are left out
    entirely.

    Args:
        num_classes: classes of the model.
        score: ``iou`` (intersection over union) or ``dice`` (= per-pixel F1).
        include_background: count class 0 in the mean (the per-class vector always has it).
        ignore_index: target value of unlabelled pixels.
        average: ``macro`` (the mean) or ``none`` (per class).

    Shape of ``update``: preds (B, C, H, W) logits or (B, H, W) indices; target (B, H, W).
    """

    def __init__(self, num_classes: int, score: str = "iou", include_background: bool = True,
                 ignore_index: int | None = 255, average: str = "macro", **kwargs: Any) -> None:
        super().__init__(num_classes, ignore_index=ignore_index, validate_args=False, **kwargs)
        if score not in ("iou", "dice"):
            raise ValueError(f"unknown score {score!r}; choose iou or dice")
        if average not in ("macro", "none"):
            raise ValueError(f"unknown average {average!r}; choose macro or none")
        self.score = score
        self.include_background = include_background
        self.average = average

    def compute(self) -> torch.Tensor:
        confmat = self.confmat.double()
        tp = confmat.diag()
        in_target, in_pred = confmat.sum(dim=1), confmat.sum(dim=0)
        union = in_target + in_pred - tp
        per_class = tp / union.clamp(min=1) if self.score == "iou" else 2 * tp / (in_target + in_pred).clamp(min=1)
        present = union > 0
        if self.average == "none":
            return torch.where(present, per_class, torch.full_like(per_class, float("nan"))).float()
        if not self.include_background:
            present[0] = False
        if not present.any():
            return torch.tensor(0.0, device=confmat.device)
        return per_class[present].mean().float()


class PixelAccuracy(MulticlassConfusionMatrix):
    """The share of labelled pixels whose predicted class is right (pixels equal to
    ``ignore_index`` left out), read from the confusion matrix the IoU and Dice metrics share,
    so it costs no update of its own (torchmetrics compute groups).

    Shape of ``update``: preds (B, C, H, W) logits or (B, H, W) indices; target (B, H, W).
    """

    def __init__(self, num_classes: int, ignore_index: int | None = 255, **kwargs: Any) -> None:
        super().__init__(num_classes, ignore_index=ignore_index, validate_args=False, **kwargs)

    def compute(self) -> torch.Tensor:
        confmat = self.confmat.double()
        return (confmat.diag().sum() / confmat.sum().clamp(min=1)).float()


def segmentation_metrics(num_classes: int, ignore_index: int | None = 255,
                         include_background: bool = True) -> MetricCollection:
    """``miou``, ``dice``, ``pixel_acc`` and ``iou`` (per class, a vector; NaN for classes absent
    from the split, which are not logged) for one stage.

    All four share one confusion-matrix state (torchmetrics compute groups): one update.
    """
    return MetricCollection(
        {
            "miou": ClassAveragedScore(num_classes, "iou", include_background, ignore_index),
            "dice": ClassAveragedScore(num_classes, "dice", include_background, ignore_index),
            "iou": ClassAveragedScore(num_classes, "iou", include_background, ignore_index, average="none"),
            "pixel_acc": PixelAccuracy(num_classes, ignore_index),
        }
    )
