"""Recording a fingerprint of every training batch, to compare the batches of two runs."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback


def batch_hash(batch: Any) -> str:
    """SHA-1 of every tensor in ``batch`` (nested lists, tuples and dicts; in order), its dtype,
    shape and bytes: two batches hash alike only if they hold the same images and targets."""
    digest = hashlib.sha1()

    def add(value: Any) -> None:
        if isinstance(value, torch.Tensor):
            data = value.detach().cpu().contiguous()
            digest.update(f"{data.dtype}{tuple(data.shape)}".encode())
            digest.update(data.view(torch.uint8).numpy().tobytes() if data.numel() else b"")
        elif isinstance(value, dict):
            for key in sorted(value):
                digest.update(str(key).encode())
                add(value[key])
        elif isinstance(value, list | tuple):
            for item in value:
                add(item)
        else:
            digest.update(repr(value).encode())

    add(batch)
    return digest.hexdigest()


class BatchHashRecorder(Callback):
    """Append ``<epoch> <batch_idx> <sha1 of the batch>`` for every training batch this process
    trains on to ``<dirpath>/<name>_rank<global rank>.txt``.

    The batch is the one ``training_step`` receives (on the device, after the on-device
    augmentation), so a resumed run whose lines equal the uninterrupted run's from the stop on
    trained on the same images, in the same order, with the same random augmentations.

    Args:
        dirpath: folder of the files (created).
        name: file name prefix (one per run, e.g. ``stopped`` and ``resumed``).
    """

    def __init__(self, dirpath: str, name: str = "batches") -> None:
        self.dirpath = Path(dirpath)
        self.name = name

    def on_train_batch_start(self, trainer: L.Trainer, pl_module: L.LightningModule, batch: Any,
                             batch_idx: int) -> None:
        self.dirpath.mkdir(parents=True, exist_ok=True)
        path = self.dirpath / f"{self.name}_rank{trainer.global_rank}.txt"
        with path.open("a") as file:
            file.write(f"{trainer.current_epoch} {batch_idx} {batch_hash(batch)}\n")


def read_batch_hashes(path: str | Path) -> list[tuple[int, int, str]]:
    """The ``(epoch, batch_idx, sha1)`` lines a :class:`BatchHashRecorder` wrote ([] if none)."""
    path = Path(path)
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text().splitlines():
        epoch, batch_idx, digest = line.split()
        rows.append((int(epoch), int(batch_idx), digest))
    return rows
