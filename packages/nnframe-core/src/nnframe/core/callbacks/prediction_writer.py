"""Base of the ``predict`` writers: one CSV row per image, written atomically at the end."""

from __future__ import annotations

import csv
import os
from abc import abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import BasePredictionWriter

from nnframe.core.contracts import check_members

PREDICTION_WRITER_MEMBERS = {
    "header": 'def header(self): return ["path", "class_index"]',
    "rows": 'def rows(self, prediction, paths): return [[str(p), int(i)] for p, i in zip(paths, prediction["probs"].argmax(1))]',
}


class PredictionWriter(BasePredictionWriter):
    """Collects rows per predicted batch and writes ``<output_dir>/predictions.csv``.

    A subclass provides ``header()`` and ``rows(prediction, paths)`` (``prediction``: what the
    module's ``predict_step`` returns for the batch; ``paths``: each image's file, from the
    indices Lightning records, never read from the batch); it may also write files per image
    (e.g. PNG masks) in ``rows``. A subclass without them fails when it is created.

    Args:
        output_dir: folder for ``predictions.csv`` (and any per-image files).
        class_names: names of the classes, index = label (filled by the runner).
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> PredictionWriter:
        check_members(cls, "nnframe.core.callbacks.PredictionWriter", PREDICTION_WRITER_MEMBERS)
        return super().__new__(cls)

    def __init__(self, output_dir: str | Path, class_names: Sequence[str] = ()) -> None:
        super().__init__(write_interval="batch")
        self.output_dir = Path(output_dir)
        self.class_names = list(class_names)
        self._rows: list[list[Any]] = []
        self.csv_path = self.output_dir / "predictions.csv"

    def outputs(self) -> dict[str, Path]:
        """What the writer wrote, ``label -> path``, printed at the end of ``predict``: the CSV,
        and a subclass's files beside it (seg's masks folder)."""
        return {"predictions": self.csv_path}

    @abstractmethod
    def header(self) -> list[str]:
        """Column names of the CSV."""

    @abstractmethod
    def rows(self, prediction: dict[str, Any], paths: Sequence[Path]) -> list[list[Any]]:
        """CSV rows for one batch of predictions (one per image, in ``paths`` order)."""

    def on_predict_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._rows = []
        self.output_dir.mkdir(parents=True, exist_ok=True)

    def write_on_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, prediction: Any,
                           batch_indices: Sequence[int] | None, batch: Any, batch_idx: int,
                           dataloader_idx: int) -> None:
        # The images' indices in the dataset come from Lightning (its predict loop wraps the batch
        # sampler to record them), so the batch may hold anything the task collates.
        if batch_indices is None:
            raise RuntimeError(f"{type(self).__name__} needs the predicted images' indices, which Lightning "
                               "records only for a torch DataLoader: return one from predict_dataloader")
        dataset = trainer.predict_dataloaders.dataset  # an ImageFileDataset
        self._rows.extend(self.rows(prediction, [dataset.paths[int(i)] for i in batch_indices]))

    def on_predict_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        tmp = self.csv_path.with_suffix(".csv.tmp")
        with open(tmp, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(self.header())
            writer.writerows(self._rows)
        os.replace(tmp, self.csv_path)
