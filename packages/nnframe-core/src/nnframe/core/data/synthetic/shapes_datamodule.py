"""Datamodule of the embedded shapes dataset (no download, deterministic)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from nnframe.core.data.base.vision_datamodule import VisionDataModule
from nnframe.core.data.synthetic.shapes_dataset import ShapesDataset


class ShapesDataModule(VisionDataModule):
    """Shapes for classification (``target=label``) or segmentation (``target=mask``).

    Args:
        num_train, num_val, num_test: images per split.
        target: ``label`` or ``mask``.
        min_shapes, max_shapes: shapes per image.
        **kwargs: :class:`VisionDataModule` arguments (batch_size, transforms, ...).
    """

    def __init__(
        self,
        num_train: int = 4000,
        num_val: int = 1000,
        num_test: int = 1000,
        target: str = "label",
        min_shapes: int = 1,
        max_shapes: int = 1,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.split_sizes = {"train": num_train, "val": num_val, "test": num_test}
        self.target = target
        self.min_shapes = min_shapes
        self.max_shapes = max_shapes

    @classmethod
    def default_normalization(cls, data_cfg: Mapping[str, Any]) -> str:
        return "shapes"

    def build_dataset(self, split: str, transform: Callable[..., Any] | None) -> ShapesDataset:
        return ShapesDataset(
            split=split,
            num_samples=self.split_sizes[split],
            image_size=self.image_size,
            seed=self.seed,
            target=self.target,
            min_shapes=self.min_shapes,
            max_shapes=self.max_shapes,
            transform=transform,
        )
