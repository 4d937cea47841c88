"""Writes a palette PNG mask per image and ``predictions.csv`` summarising each one."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch
from PIL import Image

from nnframe.core.callbacks import PredictionWriter
from nnframe.core.cv_tools import class_palette
from nnframe.core.data import upright_size


class SegmentationPredictionWriter(PredictionWriter):
    """``<output_dir>/masks/<image path relative to the input folder>.png`` (palette PNG, pixel
    value = class index, resized back to the image's size) and ``predictions.csv``.

    CSV columns: ``path, mask_path, width, height, mean_confidence`` and ``fraction/<class>``
    (share of the image's pixels predicted as each class).
    """

    def __init__(self, output_dir: str | Path, class_names: Sequence[str] = ()) -> None:
        super().__init__(output_dir, class_names)
        self.mask_dir = self.output_dir / "masks"
        self._input_root: Path | None = None

    def outputs(self) -> dict[str, Path]:
        return {**super().outputs(), "masks": self.mask_dir}

    def header(self) -> list[str]:
        return ["path", "mask_path", "width", "height", "mean_confidence",
                *(f"fraction/{name}" for name in self.class_names)]

    def write_on_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, prediction: Any,
                           batch_indices: Sequence[int] | None, batch: Any, batch_idx: int,
                           dataloader_idx: int) -> None:
        self._input_root = Path(trainer.predict_dataloaders.dataset.root)
        super().write_on_batch_end(trainer, pl_module, prediction, batch_indices, batch, batch_idx, dataloader_idx)

    def _mask_path(self, path: Path) -> Path:
        try:
            relative = path.relative_to(self._input_root) if self._input_root else Path(path.name)
        except ValueError:
            relative = Path(path.name)
        return (self.mask_dir / relative).with_suffix(".png")

    def rows(self, prediction: dict[str, Any], paths: Sequence[Path]) -> list[list[Any]]:
        num_classes = max(len(self.class_names), int(prediction["mask"].max()) + 1)
        palette = class_palette(max(num_classes, 2)).reshape(-1).tolist()
        rows = []
        for path, mask, confidence in zip(paths, prediction["mask"], prediction["confidence"], strict=True):
            with Image.open(path) as image:
                width, height = upright_size(image)  # the model saw the image upright (load_image)
            # Nearest neighbour: a class index must never be blended with its neighbour's.
            full = torch.nn.functional.interpolate(mask[None, None].float(), size=(height, width), mode="nearest")
            full_mask = full[0, 0].to(torch.uint8).cpu().numpy()
            out = Image.fromarray(full_mask)  # "L"; the palette below makes it "P" with the same indices
            out.putpalette(palette)
            mask_path = self._mask_path(Path(path))
            mask_path.parent.mkdir(parents=True, exist_ok=True)
            out.save(mask_path)
            counts = np.bincount(full_mask.reshape(-1), minlength=len(self.class_names)) / full_mask.size
            rows.append([str(path), str(mask_path), width, height, f"{float(confidence.mean()):.4f}",
                         *(f"{counts[i]:.4f}" for i in range(len(self.class_names)))])
        return rows
