"""``ModelCheckpoint`` whose ``last.ckpt`` is always the latest state (what ``resume`` needs)."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import ModelCheckpoint

from nnframe.core.checkpointing.atomic_checkpoint_io import remove_orphan_temp_files
from nnframe.core.compat.lightning import (
    checkpoint_last_saved_step,
    checkpoint_saves_on_train_epoch_end,
    checkpoint_skips_saving,
    save_last_checkpoint,
    set_checkpoint_last_saved_step,
)
from nnframe.core.errors import ConfigError


class RunCheckpoint(ModelCheckpoint):
    """Lightning's ``ModelCheckpoint`` that writes ``last.ckpt`` at every save point, and the best
    checkpoints only where the monitored metric was measured.

    Since Lightning 2.6 ``last.ckpt`` is only rewritten when a top-k checkpoint is saved at the
    same step, so an epoch that does not improve the monitored metric leaves ``last.ckpt`` one
    or more epochs behind; a resumed run would silently redo that work. This subclass writes
    ``last.ckpt`` at those points too.

    ``every_n_train_steps`` and ``train_time_interval`` only write ``last.ckpt`` (the resume
    point of a long epoch), in every epoch. Lightning would also save a top-k checkpoint there,
    ranked by the last validation's score although those weights were never validated (they are
    N steps further on), and would hold the first epoch's step saves back until a validation
    has logged the monitored metric. Top-k checkpoints are saved at each validation (or at the
    end of each training epoch without validation), so the best checkpoint always holds the
    weights its score was measured on.

    Args:
        every_n_train_steps: write ``last.ckpt`` every this many training steps (None or 0: no
            step saves).
        train_time_interval: write ``last.ckpt`` when this much time has passed since the last
            such save.
        **kwargs: ``ModelCheckpoint``'s other arguments.
    """

    def __init__(self, *args: Any, every_n_train_steps: int | None = None,
                 train_time_interval: timedelta | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # top-k on Lightning's epoch/validation cadence only
        self.every_n_train_steps = every_n_train_steps or 0
        self.train_time_interval = train_time_interval
        if (self.every_n_train_steps or train_time_interval is not None) and not self.save_last:
            raise ConfigError("callbacks.checkpoint.every_n_train_steps (or train_time_interval) writes last.ckpt: "
                              "keep callbacks.checkpoint.save_last=true")
        self._last_timed_save: float | None = None

    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        super().setup(trainer, pl_module, stage)
        if stage == "fit" and trainer.is_global_zero and self.dirpath and "://" not in str(self.dirpath):
            # A run killed while writing a checkpoint left its temporary file; nothing writes
            # one in this folder before this run does.
            remove_orphan_temp_files(self.dirpath)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        # A run folder that was moved (or copied) and resumed: its checkpoint names the files at
        # the old place, and Lightning, seeing another dirpath, would keep only the old absolute
        # best_model_path (the test after training would load that file, or fail). The files
        # are in this folder: take the state with its paths moved here.
        old = state_dict.get("dirpath")
        if old and self.dirpath and Path(old).resolve() != Path(self.dirpath).resolve():
            moved = _moved_state(state_dict, Path(old), Path(self.dirpath))
            if any(Path(moved.get(key) or "").is_file() for key in ("last_model_path", "best_model_path")):
                state_dict = moved
        super().load_state_dict(state_dict)

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        super().on_train_start(trainer, pl_module)
        self._last_timed_save = time.monotonic()

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, *args: Any,
                           **kwargs: Any) -> None:
        super().on_train_batch_end(trainer, pl_module, *args, **kwargs)  # no step trigger given to it
        if not self._step_save_due(trainer) or trainer.fast_dev_run or trainer.sanity_checking:
            return
        saved_step = checkpoint_last_saved_step(self)
        save_last_checkpoint(self, trainer)
        # A validation right after this step must still save its top-k checkpoint (Lightning
        # skips a step that was "already saved"), and rewrite last.ckpt with the new best.
        set_checkpoint_last_saved_step(self, saved_step)

    def _step_save_due(self, trainer: L.Trainer) -> bool:
        due = self.every_n_train_steps >= 1 and trainer.global_step % self.every_n_train_steps == 0
        if self.train_time_interval is not None:
            now = time.monotonic()
            late = self._last_timed_save is not None and \
                now - self._last_timed_save >= self.train_time_interval.total_seconds()
            late = bool(trainer.strategy.broadcast(late))  # clocks differ between processes: rank 0 decides
            if late:
                self._last_timed_save = now
            due = due or late
        return due

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        due = not (checkpoint_skips_saving(self, trainer) or checkpoint_saves_on_train_epoch_end(self, trainer))
        super().on_validation_end(trainer, pl_module)
        self._save_last_if_missed(trainer, due)

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        skip = checkpoint_skips_saving(self, trainer)
        due = not skip and checkpoint_saves_on_train_epoch_end(self, trainer)
        super().on_train_epoch_end(trainer, pl_module)
        self._save_last_if_missed(trainer, due)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # Lightning 2.6 writes last.ckpt here even under fast_dev_run (debug=fdr), which promises none.
        if not trainer.fast_dev_run:
            super().on_train_end(trainer, pl_module)

    def _save_last_if_missed(self, trainer: L.Trainer, due: bool) -> None:
        if due and self.save_last and checkpoint_last_saved_step(self) != trainer.global_step:
            save_last_checkpoint(self, trainer)


def _moved_state(state: dict[str, Any], old: Path, new: Path) -> dict[str, Any]:
    """``state`` (``ModelCheckpoint.state_dict()``) with the paths under ``old`` put under ``new``."""
    def here(path: Any) -> Any:
        if not path:
            return path
        try:
            return str(new / Path(path).relative_to(old))
        except ValueError:  # not a file of that folder
            return path

    moved = dict(state, dirpath=str(new))
    for key in ("best_model_path", "kth_best_model_path", "last_model_path"):
        if key in moved:
            moved[key] = here(moved[key])
    if isinstance(moved.get("best_k_models"), dict):
        moved["best_k_models"] = {here(path): score for path, score in moved["best_k_models"].items()}
    return moved
