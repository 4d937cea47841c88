"""Recording each process's own training loss, to check what DDP logs against it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import Callback


class RankLossRecorder(Callback):
    """Write this process's sample-weighted training loss sum and sample count of every epoch to
    ``<dirpath>/train_loss_rank<global rank>.json`` (a list, one ``[sum, count]`` per epoch).

    Under DDP each process sees its own shard, so a test can compare the epoch loss that rank 0
    logged with the mean over all processes.

    Args:
        dirpath: folder of the JSON files (the run directory, say).
    """

    def __init__(self, dirpath: str) -> None:
        self.dirpath = Path(dirpath)
        self.epochs: list[list[float]] = []
        self._sum = 0.0
        self._count = 0

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._sum, self._count = 0.0, 0

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any,
                           batch: Any, batch_idx: int) -> None:
        loss = outputs["loss"] if isinstance(outputs, dict) else outputs
        size_of = getattr(pl_module, "batch_size_of", None)  # a TaskModule counts its own batches
        size = int(size_of(batch)) if callable(size_of) else 1
        self._sum += float(loss) * size
        self._count += size

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.epochs.append([self._sum, self._count])
        self.dirpath.mkdir(parents=True, exist_ok=True)
        path = self.dirpath / f"train_loss_rank{trainer.global_rank}.json"
        path.write_text(json.dumps(self.epochs))
