"""A short training at each candidate learning rate, to keep an LR range test's suggestion only
where it trains at least as well as the configured learning rate.

An LR range test reads its suggestion from one model trained at rising learning rates; a curve
that falls early and then stays flat (a model with normalisation layers that tolerates a wide
range) puts the steepest descent decades below the learning rates that train best. Measured on
``nnframe seg tune`` (the shapes demo): the range test suggested 8.9e-05, which reached val mIoU
0.254 against 0.783 at the configured 0.02. A few hundred steps of the real recipe (optimizer,
warm-up and schedule compressed into those steps) at both learning rates tell them apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import lightning as L
from omegaconf import DictConfig, OmegaConf, open_dict

from nnframe.core.training.instantiate import build_model, build_trainer


@dataclass(frozen=True)
class LRCheck:
    """The monitored validation metric after a short training at each learning rate.

    Args:
        metric: the metric compared (``cfg.monitor``).
        mode: ``max`` or ``min`` (``cfg.monitor_mode``).
        steps: training steps per learning rate.
        scores: ``lr -> metric`` (NaN where the run gave no value).
    """

    metric: str
    mode: str
    steps: int
    scores: dict[float, float]

    def better_or_equal(self, candidate: float, reference: float) -> bool:
        """Whether ``candidate`` scored at least as well as ``reference`` (a NaN score never does)."""
        got, ref = self.scores[candidate], self.scores[reference]
        if math.isnan(got):
            return False
        if math.isnan(ref):
            return True
        return got >= ref if self.mode == "max" else got <= ref


def _short_run(cfg: DictConfig, datamodule: Any, lr_key: str, lr: float, steps: int) -> float:
    """Train ``steps`` steps from the seed's initial weights at ``lr``, then validate once."""
    cfg = cfg.copy()
    with open_dict(cfg):
        OmegaConf.update(cfg, lr_key, lr, merge=False)
        cfg.trainer.enable_checkpointing = False
        cfg.trainer.enable_progress_bar = False
        cfg.trainer.enable_model_summary = False
        fit_cfg = cfg.copy()
        # max_steps with unbounded epochs: the schedule (warm-up, cosine) spans exactly these steps.
        fit_cfg.trainer.max_steps, fit_cfg.trainer.max_epochs = steps, -1
        fit_cfg.trainer.limit_val_batches, fit_cfg.trainer.num_sanity_val_steps = 0, 0
    L.seed_everything(cfg.seed, workers=True, verbose=False)
    model = build_model(cfg, datamodule.class_names)
    build_trainer(fit_cfg, callbacks=[], loggers=False).fit(model, datamodule=datamodule)
    results = build_trainer(cfg, callbacks=[], loggers=False).validate(model, datamodule=datamodule,
                                                                       verbose=False)
    value = results[0].get(str(cfg.monitor)) if results else None
    return float(value) if value is not None else math.nan


def check_learning_rates(cfg: DictConfig, datamodule: Any, lr_key: str, lrs: list[float], steps: int) -> LRCheck:
    """Train ``steps`` steps at each of ``lrs`` (same seed, data and recipe) and validate.

    Args:
        cfg: the composed config (not changed).
        datamodule: the tuned datamodule (its batch size included).
        lr_key: the learning rate's key in ``cfg``.
        lrs: the learning rates to compare.
        steps: training steps per learning rate.
    """
    scores = {lr: _short_run(cfg, datamodule, lr_key, lr, steps) for lr in lrs}
    return LRCheck(str(cfg.monitor), str(cfg.get("monitor_mode") or "max"), steps, scores)
