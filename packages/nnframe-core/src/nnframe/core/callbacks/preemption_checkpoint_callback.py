"""A checkpoint when the run is told to stop (SIGTERM from a scheduler, Ctrl-C)."""

from __future__ import annotations

import sys
from pathlib import Path

import lightning as L
from lightning.pytorch.callbacks import Callback, ModelCheckpoint
from lightning.pytorch.utilities.exceptions import SIGTERMException

from nnframe.core.compat.lightning import checkpoint_last_saved_step, set_checkpoint_last_saved_step


class PreemptionCheckpointCallback(Callback):
    """When the run stops on a signal, write ``last.ckpt`` so ``resume=true`` loses nothing.

    Lightning turns SIGTERM (and, with nnframe's
    :class:`~nnframe.core.training.stop_signals.StopSignalConnector`, the first Ctrl-C) into a
    :class:`SIGTERMException` between two batches, on every process at the same batch. This writes
    the checkpoint there (atomically, through the trainer's checkpoint IO, every process taking
    part as in any checkpoint save) in the checkpoint callback's folder, or
    ``<default_root_dir>/checkpoints``; it writes nothing when no training step finished since
    the last checkpoint, whose file is then the resume point.

    On rank 0 of a DDP run whose another process died (a collective then fails with gloo's
    "Connection closed by peer"), it prints which rank died and where its log is.

    Attributes:
        saved_path: the resume point once the run has stopped: the file written, or the current
            ``last.ckpt`` when it was already up to date (None: no checkpoint at all).
        written: whether ``saved_path`` was written on this stop.
    """

    def __init__(self) -> None:
        self.saved_path: Path | None = None
        self.written = False

    def on_exception(self, trainer: L.Trainer, pl_module: L.LightningModule, exception: BaseException) -> None:
        if trainer.world_size > 1 and trainer.is_global_zero and not isinstance(exception, SIGTERMException):
            # Another process died (a collective fails): say which, now, before Lightning's
            # process observer ends this one.
            from nnframe.core.training.stop_signals import dead_rank_message  # training imports callbacks

            dead = dead_rank_message(trainer, trainer.default_root_dir)
            if dead is not None:
                print(f"nnframe: error: {dead}", file=sys.stderr, flush=True)
        if not isinstance(exception, SIGTERMException) or trainer.state.fn != "fit":
            return
        checkpoint = trainer.checkpoint_callback
        folder = Path(checkpoint.dirpath) if isinstance(checkpoint, ModelCheckpoint) and checkpoint.dirpath \
            else Path(trainer.default_root_dir) / "checkpoints"
        last = ModelCheckpoint.CHECKPOINT_NAME_LAST if isinstance(checkpoint, ModelCheckpoint) else "last"
        path = folder / f"{last}{ModelCheckpoint.FILE_EXTENSION}"
        saved_step = checkpoint_last_saved_step(checkpoint) if isinstance(checkpoint, ModelCheckpoint) else None
        if trainer.global_step == 0 or (saved_step == trainer.global_step and path.is_file()):
            self.saved_path = path if path.is_file() else None  # nothing new to save
            return
        if isinstance(checkpoint, ModelCheckpoint):
            # Saved in the checkpoint's callback state: the resumed run then rewrites this file
            # instead of starting a `last-v1.ckpt` beside it.
            checkpoint.last_model_path = str(path)
        trainer.save_checkpoint(path, weights_only=False)
        if isinstance(checkpoint, ModelCheckpoint):
            set_checkpoint_last_saved_step(checkpoint, trainer.global_step)
        self.saved_path, self.written = path, True
