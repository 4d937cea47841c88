"""Saving and restoring the global random number generators with the checkpoint."""

from __future__ import annotations

import random
from typing import Any

import lightning as L
import numpy as np
import torch
from lightning.pytorch.callbacks import Callback
from lightning.pytorch.utilities import rank_zero_info

from nnframe.core.compat.lightning import train_loader_states
from nnframe.core.data.loading.resumable_data_loader import ResumableDataLoader
from nnframe.core.data.on_device.device_batch_loader import DeviceBatchLoader


def collect_rng_states() -> dict[str, Any]:
    """The states of Python's, NumPy's and torch's global generators (and CUDA's, if used).

    Only tensors and plain Python values, so that ``torch.load(weights_only=True)`` reads them.
    """
    kind, keys, position, has_gauss, cached_gaussian = np.random.get_state()
    states: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": (kind, torch.from_numpy(keys.astype(np.int64)), position, has_gauss, cached_gaussian),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def set_rng_states(states: dict[str, Any]) -> None:
    """Restore what :func:`collect_rng_states` returned."""
    random.setstate(states["python"])
    kind, keys, position, has_gauss, cached_gaussian = states["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), position, has_gauss, cached_gaussian))
    torch.set_rng_state(states["torch"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


def _train_loaders(trainer: L.Trainer) -> list[Any]:
    """The training loaders (Lightning's, as it prepared them), in the order Lightning saves their states."""
    loaders = trainer.train_dataloader
    if isinstance(loaders, dict):
        return list(loaders.values())
    return list(loaders) if isinstance(loaders, list | tuple) else [loaders] if loaders is not None else []


def _resumable(loader: Any) -> bool:
    return callable(getattr(loader, "state_dict", None)) and callable(getattr(loader, "load_state_dict", None))


def resume_position(trainer: L.Trainer, loader_states: bool) -> str:
    """Where a run resumed from a checkpoint goes on, for the line printed at the start of training
    (call at ``on_train_start``, after Lightning restored its loops and before it trains).

    Args:
        trainer: the trainer, at ``on_train_start``.
        loader_states: whether the checkpoint holds the training loaders' positions.
    """
    epoch = trainer.current_epoch
    if not trainer.fit_loop.restarting:  # the checkpoint was taken between two epochs
        return f"resumed at the start of epoch {epoch}"
    batch, total = trainer.fit_loop.epoch_loop.batch_progress.current.ready, trainer.num_training_batches
    if batch >= total:
        # The checkpoint was taken after the epoch's last batch: Lightning may have counted the
        # epoch as done already or not, but has started as many epochs as the next one's index.
        return f"resumed at the start of epoch {trainer.fit_loop.epoch_progress.current.started}"
    where = f"resumed at epoch {epoch}, batch {batch} of {total}"
    resumable = all(_resumable(loader) for loader in _train_loaders(trainer))
    if batch and not (resumable and loader_states):
        why = "the training loader has no load_state_dict" if not resumable \
            else "the checkpoint holds no position of the training loader"
        return f"{where}; {why}, so this epoch's data starts again from its first batch"
    return where


class RNGStateCallback(Callback):
    """Puts the global RNG states in every checkpoint, restores them when training resumes, and
    says where the resumed run goes on (``resumed at epoch 1, batch 8 of 32``).

    Lightning restores weights, optimizer, schedulers and loop counters but not the global
    generators that random augmentations and dropout draw from; without them a resumed run
    takes different random crops than the uninterrupted run from the resumed epoch on. The
    states are applied at ``on_train_start``, after Lightning has built the dataloaders and
    before the first batch is fetched, so that the next random draw is the one the interrupted
    run would have made.

    The position in the epoch is the training loaders' own state (see
    :class:`~nnframe.core.data.ResumableDataLoader`), which Lightning saves in the checkpoint;
    this callback gives it back to them where Lightning 2.6 drops it (see
    :func:`~nnframe.core.compat.lightning.train_loader_states`). The shuffle and the dataloader
    worker seeds do not depend on the global states (see
    :class:`~nnframe.core.data.loading.epoch_sampler.EpochSeededRandomSampler`).
    """

    def __init__(self) -> None:
        self._pending: dict[str, Any] | None = None
        self._resumed = False
        self._loader_states: list[dict[str, Any]] = []

    def on_save_checkpoint(self, trainer: L.Trainer, pl_module: L.LightningModule, checkpoint: dict[str, Any]) -> None:
        checkpoint["rng_states"] = collect_rng_states()

    def on_load_checkpoint(self, trainer: L.Trainer, pl_module: L.LightningModule, checkpoint: dict[str, Any]) -> None:
        self._pending = checkpoint.get("rng_states")
        self._resumed = trainer.state.fn == "fit"
        self._loader_states = train_loader_states(checkpoint)

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self._resumed and trainer.fit_loop.restarting:
            self._restore_loader_positions(trainer)
        if self._resumed and not trainer.fit_loop.done:
            rank_zero_info(resume_position(trainer, bool(self._loader_states)))
        self._resumed, self._loader_states = False, []
        if self._pending is not None:
            set_rng_states(self._pending)
            self._pending = None

    def _restore_loader_positions(self, trainer: L.Trainer) -> None:
        """Give nnframe's training loaders their saved positions, as Lightning does when it sets
        up the data after the restore. Loading a state twice is harmless for them (they read it
        at their first batch, not fetched yet); another loader may already be iterating, so it
        is left to Lightning."""
        loaders = [loader for loader in _train_loaders(trainer) if _resumable(loader)]
        if not self._loader_states or len(loaders) != len(self._loader_states):
            return
        for loader, state in zip(loaders, self._loader_states, strict=True):
            if isinstance(loader, ResumableDataLoader | DeviceBatchLoader):
                loader.load_state_dict(state)
