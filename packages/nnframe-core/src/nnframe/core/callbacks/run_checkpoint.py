"""``ModelCheckpoint`` whose ``last.ckpt`` is always the latest state (what ``resume`` needs)."""

from __future__ import annotations

from typing import Any

import lightning as L
from lightning.pytorch.callbacks import ModelCheckpoint


class RunCheckpoint(ModelCheckpoint):
    """Lightning's ``ModelCheckpoint`` that writes ``last.ckpt`` at every save point.

    Since Lightning 2.6 ``last.ckpt`` is only rewritten when a top-k checkpoint is saved at the
    same step, so an epoch that does not improve the monitored metric leaves ``last.ckpt`` one
    or more epochs behind, and step checkpoints (``every_n_train_steps``) are held back until
    the first validation has logged the monitored metric. A resumed run would silently redo
    that work (and not reproduce the uninterrupted run). This subclass writes ``last.ckpt``
    at those points too; the top-k logic is unchanged. Arguments are ``ModelCheckpoint``'s.
    """

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, *args: Any,
                           **kwargs: Any) -> None:
        deferred = self._defer_save_until_validation
        super().on_train_batch_end(trainer, pl_module, *args, **kwargs)
        if not self._defer_save_until_validation or deferred:
            return  # nothing was deferred at this step (the usual case: no copy of the metrics per step)
        candidates = self._monitor_candidates(trainer)
        if self.monitor not in candidates:
            # Top-k waits for the monitored metric (first epoch); the resume point must not.
            saved_step = self._last_global_step_saved
            self._save_last_checkpoint(trainer, candidates)
            # Keep the deferred top-k save at validation end from being skipped as "saved at this step".
            self._last_global_step_saved = saved_step

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        due = not (self._should_skip_saving_checkpoint(trainer) or self._should_save_on_train_epoch_end(trainer))
        super().on_validation_end(trainer, pl_module)
        self._save_last_if_missed(trainer, due)

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        skip = self._should_skip_saving_checkpoint(trainer)
        due = not skip and self._should_save_on_train_epoch_end(trainer)
        super().on_train_epoch_end(trainer, pl_module)
        self._save_last_if_missed(trainer, due)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # Lightning 2.6 writes last.ckpt here even under fast_dev_run (debug=fdr), which promises none.
        if not trainer.fast_dev_run:
            super().on_train_end(trainer, pl_module)

    def _save_last_if_missed(self, trainer: L.Trainer, due: bool) -> None:
        if due and self.save_last and self._last_global_step_saved != trainer.global_step:
            self._save_last_checkpoint(trainer, self._monitor_candidates(trainer))
