"""The embedded shapes dataset with per-pixel masks."""

from __future__ import annotations

from typing import Any

from nnframe.core.data import ShapesDataModule
from nnframe.seg.data.mask_checks import MaskChecks


class ShapesSegmentationDataModule(MaskChecks, ShapesDataModule):
    """Core's shapes as masks (0 background, ``k + 1`` for shape ``k``), with a pixel
    histogram in the dataset summary.

    Args:
        ignore_index: value of unlabelled pixels (shapes has none; kept for the metrics).
        **kwargs: :class:`~nnframe.core.data.ShapesDataModule` arguments.
    """

    def __init__(self, ignore_index: int | None = 255, target: str = "mask", max_shapes: int = 3,
                 **kwargs: Any) -> None:
        super().__init__(target=target, max_shapes=max_shapes, **kwargs)
        self.ignore_index = ignore_index
