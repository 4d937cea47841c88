"""Recording each process's final weights, to check that DDP processes end with the same model."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback


def weights_digest(state_dict: Mapping[str, torch.Tensor]) -> str:
    """SHA-256 of a state dict's names and tensor bytes (the same weights give the same digest,
    whether read from a module or from a checkpoint's ``state_dict``)."""
    digest = hashlib.sha256()
    for name in sorted(state_dict):
        tensor = state_dict[name]
        if isinstance(tensor, torch.Tensor):
            digest.update(name.encode())
            digest.update(tensor.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


class RankWeightsRecorder(Callback):
    """At the end of training, write this process's weights digest, step and torch threads to
    ``<dirpath>/weights_rank<global rank>.json`` (``{"digest": ..., "step": ..., "threads": ...}``).

    Args:
        dirpath: folder of the JSON files (``${paths.output_dir}``: the run directory).
    """

    def __init__(self, dirpath: str) -> None:
        self.dirpath = Path(dirpath)

    def on_fit_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.dirpath.mkdir(parents=True, exist_ok=True)
        record = {"digest": weights_digest(pl_module.state_dict()), "step": trainer.global_step,
                  "threads": torch.get_num_threads()}
        (self.dirpath / f"weights_rank{trainer.global_rank}.json").write_text(json.dumps(record))
