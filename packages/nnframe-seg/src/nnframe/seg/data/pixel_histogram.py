"""Pixels per class of a segmentation dataset, for the start-of-run summary."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch


def _mask(dataset: Any, index: int) -> torch.Tensor:
    masks = getattr(dataset, "masks", None)
    if isinstance(masks, torch.Tensor):  # the in-memory shapes dataset
        return masks[index]
    if hasattr(dataset, "load_mask"):
        return dataset.load_mask(index)  # reads only the mask, checking its values
    return torch.as_tensor(dataset.load(index)[1])


def pixel_histogram(dataset: Any, num_classes: int, ignore_index: int | None = 255,
                    max_masks: int | None = 200) -> tuple[np.ndarray, int, int]:
    """Count the pixels of each class over (an evenly spaced sample of) a dataset's masks.

    Reading the masks also checks them, so a bad label fails at the start of a run.

    Returns:
        ``(counts per class (num_classes,), ignored pixels, masks read)``.
    """
    count = len(dataset)
    if max_masks is None or max_masks >= count:
        indices: Sequence[int] = range(count)
    else:
        indices = np.linspace(0, count - 1, max_masks).round().astype(int).tolist()
    counts = np.zeros(num_classes, dtype=np.int64)
    ignored = 0
    for index in indices:
        mask = _mask(dataset, index).reshape(-1).long()
        valid = (mask >= 0) & (mask < num_classes)
        counts += torch.bincount(mask[valid], minlength=num_classes).numpy()[:num_classes]
        ignored += int((mask == ignore_index).sum()) if ignore_index is not None else 0
    return counts, ignored, len(indices)


class PixelHistogramSummary:
    """Mixin for a :class:`~nnframe.core.data.VisionDataModule` of masks: checks a sample of
    masks at setup and adds the share of pixels per class and split to ``summary()``.

    Needs ``ignore_index`` and ``summary_max_masks`` attributes.
    """

    ignore_index: int | None = 255
    summary_max_masks: int | None = 200

    def setup(self, stage: str | None = None) -> None:
        super().setup(stage)  # type: ignore[misc]
        self._histograms: dict[str, tuple[np.ndarray, int, int]] = getattr(self, "_histograms", {})
        for split, dataset in self.datasets.items():  # type: ignore[attr-defined]
            if split != "predict" and split not in self._histograms:
                self._histograms[split] = pixel_histogram(dataset, len(self.class_names),  # type: ignore[attr-defined]
                                                          self.ignore_index, self.summary_max_masks)

    def summary(self) -> dict[str, Any]:
        summary = super().summary()  # type: ignore[misc]
        histograms = getattr(self, "_histograms", {})
        if not histograms:
            return summary
        splits = list(histograms)
        rows = []
        for index, name in enumerate(self.class_names):  # type: ignore[attr-defined]
            cells = []
            for split in splits:
                counts, ignored, _ = histograms[split]
                total = counts.sum() + ignored
                cells.append(f"{100 * counts[index] / max(total, 1):.2f}%")
            rows.append([f"{index}: {name}", *cells])
        rows.append([f"{self.ignore_index}: ignored",
                     *(f"{100 * h[1] / max(h[0].sum() + h[1], 1):.2f}%" for h in histograms.values())])
        summary.setdefault("extra", {})["pixels per class"] = {
            "columns": ("class", *(f"{split} ({histograms[split][2]} masks)" for split in splits)),
            "rows": rows,
        }
        return summary
