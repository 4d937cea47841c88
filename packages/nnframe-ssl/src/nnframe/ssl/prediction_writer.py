"""``nnframe ssl predict``: the backbone embedding of every image, and its kNN class."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch
from lightning.pytorch.utilities import rank_zero_info

from nnframe.core.callbacks import PredictionWriter
from nnframe.core.checkpointing.atomic_checkpoint_io import atomic_write


class EmbeddingPredictionWriter(PredictionWriter):
    """Writes ``embeddings.npy`` (float32, Shape: (N, D): the backbone's features, not
    normalised, row ``i`` = line ``i`` of the CSV) and ``predictions.csv``.

    CSV columns: ``path, embedding_row`` and, when the checkpoint's labelled training data could
    be loaded (the kNN bank of :class:`~nnframe.ssl.SSLModule`), ``knn_class_index,
    knn_class_name``: the weighted-kNN class (``model.knn_k`` neighbours), as the monitor
    ``val/knn_top1`` scores it. Without that data the columns are left out and the run says why.
    """

    def __init__(self, output_dir: str | Path, class_names: Sequence[str] = ()) -> None:
        super().__init__(output_dir, class_names)
        self.embeddings_path = self.output_dir / "embeddings.npy"
        self._embeddings: list[torch.Tensor] = []
        self._with_knn = False

    def header(self) -> list[str]:
        return ["path", "embedding_row", *(["knn_class_index", "knn_class_name"] if self._with_knn else [])]

    def on_predict_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        super().on_predict_start(trainer, pl_module)
        self._embeddings = []
        self._with_knn = False

    def rows(self, prediction: dict[str, Any], paths: Sequence[Path]) -> list[list[Any]]:
        start = sum(len(e) for e in self._embeddings)
        if start == 0:  # the module builds its bank after the callbacks' on_predict_start
            self._with_knn = "knn_class" in prediction
        self._embeddings.append(prediction["embeddings"].detach().float().cpu())
        rows: list[list[Any]] = [[str(path), start + i] for i, path in enumerate(paths)]
        if self._with_knn:
            names = self.class_names
            for row, index in zip(rows, prediction["knn_class"].tolist(), strict=True):
                row += [int(index), names[int(index)] if int(index) < len(names) else str(int(index))]
        return rows

    def on_predict_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        embeddings = torch.cat(self._embeddings).numpy().astype(np.float32, copy=False)
        atomic_write(self.embeddings_path, lambda handle: np.save(handle, embeddings))
        super().on_predict_end(trainer, pl_module)
        rank_zero_info(f"embeddings: {self.embeddings_path} ({embeddings.shape[0]} x {embeddings.shape[1]}, "
                       "float32; row i = line i of predictions.csv)")
        if self._with_knn:
            rank_zero_info(f"knn_class: weighted kNN (k={pl_module.knn_k}) against the labelled training split "
                           "of the checkpoint's data")
        else:
            rank_zero_info(f"knn_class: skipped, the checkpoint's labelled training data is not available "
                           f"({getattr(pl_module, 'knn_skipped', None) or 'no labelled split'})")
