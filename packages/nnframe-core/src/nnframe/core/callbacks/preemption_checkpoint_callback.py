"""A checkpoint when the job is told to stop (SIGTERM from a scheduler before preemption)."""

from __future__ import annotations

from pathlib import Path

import lightning as L
from lightning.pytorch.callbacks import Callback, ModelCheckpoint
from lightning.pytorch.utilities import rank_zero_info
from lightning.pytorch.utilities.exceptions import SIGTERMException


class PreemptionCheckpointCallback(Callback):
    """On SIGTERM, write ``last.ckpt`` before the run stops, so ``resume=true`` loses nothing.

    Lightning turns SIGTERM into a :class:`SIGTERMException` at the end of the current training
    batch (on every rank); this writes the checkpoint (atomically, through the trainer's
    checkpoint IO) in the checkpoint callback's folder, or ``<default_root_dir>/checkpoints``.

    Attributes:
        saved_path: the checkpoint written on SIGTERM (None until then).
    """

    def __init__(self) -> None:
        self.saved_path: Path | None = None

    def on_exception(self, trainer: L.Trainer, pl_module: L.LightningModule, exception: BaseException) -> None:
        if not isinstance(exception, SIGTERMException) or trainer.state.fn != "fit":
            return
        checkpoint = trainer.checkpoint_callback
        folder = Path(checkpoint.dirpath) if isinstance(checkpoint, ModelCheckpoint) and checkpoint.dirpath \
            else Path(trainer.default_root_dir) / "checkpoints"
        last = ModelCheckpoint.CHECKPOINT_NAME_LAST if isinstance(checkpoint, ModelCheckpoint) else "last"
        self.saved_path = folder / f"{last}{ModelCheckpoint.FILE_EXTENSION}"
        if isinstance(checkpoint, ModelCheckpoint):
            # Saved in the checkpoint's callback state: the resumed run then rewrites this file
            # instead of starting a `last-v1.ckpt` beside it.
            checkpoint.last_model_path = str(self.saved_path)
        trainer.save_checkpoint(self.saved_path)
        rank_zero_info(f"SIGTERM at step {trainer.global_step}: saved {self.saved_path}")
