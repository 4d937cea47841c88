"""``train(cfg)``: fit a model on the composed config, test the best checkpoint, return metrics."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import lightning as L
from lightning.pytorch.loggers import TensorBoardLogger
from lightning.pytorch.utilities import rank_zero_info, rank_zero_only
from lightning.pytorch.utilities.exceptions import SIGTERMException
from omegaconf import DictConfig

from nnframe.core.callbacks.preemption_checkpoint_callback import PreemptionCheckpointCallback
from nnframe.core.checkpointing import check_checkpoint_fits
from nnframe.core.errors import CheckpointError, ConfigError
from nnframe.core.loggers import checkpoint_global_step, continue_logs_from
from nnframe.core.sweeps import write_run_record
from nnframe.core.training.config_checks import ensure_writable_dir, validate_config
from nnframe.core.training.instantiate import build_datamodule, build_model, build_trainer, instantiate_group
from nnframe.core.training.run_summary import apply_extras, print_data_summary, print_metrics


def _as_floats(metrics: dict[str, Any]) -> dict[str, float]:
    out: dict[str, float] = {}
    for name, value in metrics.items():
        try:
            out[name] = float(value)
        except (TypeError, ValueError):
            continue
    return out


def resume_checkpoint(cfg: DictConfig) -> str | None:
    """The checkpoint ``fit`` resumes from: ``ckpt_path``, else with ``resume=true`` the run
    directory's ``checkpoints/last.ckpt`` (the run directory is the latest run of this config)."""
    if cfg.get("ckpt_path"):
        path = Path(cfg.ckpt_path)
        if not path.is_file():
            raise CheckpointError(f"ckpt_path={cfg.ckpt_path} does not exist")
        return str(path)
    if cfg.get("resume"):
        last = Path(cfg.paths.output_dir) / "checkpoints" / "last.ckpt"
        if last.is_file():
            return str(last)
        rank_zero_info(f"resume=true but no {last} yet: starting a new run")
    return None


SIGTERM_EXIT_CODE = 143  # 128 + SIGTERM, the shell's convention: `train && eval` stops here


def _report_sigterm(trainer: L.Trainer, callbacks: list[Any]) -> None:
    saved = next((cb.saved_path for cb in callbacks if isinstance(cb, PreemptionCheckpointCallback)), None)
    where = (f"saved {saved}; run the same command with resume=true to continue" if saved else
             "no checkpoint was written (the preemption_checkpoint callback is off)")
    rank_zero_info(f"stopped by SIGTERM at epoch {trainer.current_epoch}, step {trainer.global_step}: "
                   f"{where}")


def _log_hparams(trainer: L.Trainer, cfg: DictConfig, metrics: dict[str, float]) -> None:
    """Fill TensorBoard's HPARAMS tab: the chosen options and main values against final metrics."""
    from nnframe.core.composition import hydra_config_of

    params: dict[str, Any] = {"seed": cfg.seed}
    hydra_cfg = hydra_config_of(cfg)  # this config's, even when another one was composed since
    if hydra_cfg is not None:
        params.update({f"choice/{k}": str(v) for k, v in hydra_cfg.runtime.choices.items()
                       if not k.startswith("hydra")})
        params.update({f"override/{o.split('=', 1)[0]}": o.split("=", 1)[1]
                       for o in hydra_cfg.overrides.task if "=" in o})
    for key in ("batch_size",):
        if key in cfg.data:
            params[f"data.{key}"] = cfg.data[key]
    if "optimizer" in cfg.model:
        params.update({f"optimizer.{k}": v for k, v in cfg.model.optimizer.items()
                       if isinstance(v, int | float | str) and not k.startswith("_")})
    params["trainer.max_epochs"] = cfg.trainer.get("max_epochs")
    final = {f"hp/{k.replace('/', '_')}": v for k, v in metrics.items() if math.isfinite(v)}
    for logger in trainer.loggers:
        if isinstance(logger, TensorBoardLogger):
            logger.log_hyperparams(params, metrics=final)


def train(cfg: DictConfig) -> dict[str, float]:
    """Train ``cfg.model`` on ``cfg.data`` with ``cfg.trainer``; then test the best checkpoint.

    Returns:
        Final metrics: the last validation (and train) epoch values and, with ``test=true``,
        the test metrics of the best checkpoint.
    """
    validate_config(cfg)
    ensure_writable_dir(cfg.paths.output_dir)
    apply_extras(cfg)
    L.seed_everything(cfg.seed, workers=True)
    datamodule = build_datamodule(cfg, stage="fit")
    if cfg.get("extras", {}).get("print_data_summary", True):
        print_data_summary(datamodule.summary())
    model = build_model(cfg, datamodule.class_names)
    callbacks = instantiate_group(cfg.get("callbacks"), "callbacks")
    loggers = instantiate_group(cfg.get("logger"), "logger")
    trainer = build_trainer(cfg, callbacks, loggers)
    ckpt_path = resume_checkpoint(cfg)
    if ckpt_path is not None:
        check_checkpoint_fits(ckpt_path, model, cfg.task_name)
        continue_logs_from(trainer.loggers, checkpoint_global_step(ckpt_path))
    try:
        trainer.fit(model, datamodule=datamodule, ckpt_path=ckpt_path)
    except SIGTERMException:
        _report_sigterm(trainer, callbacks)
        raise SystemExit(SIGTERM_EXIT_CODE) from None
    metrics = _as_floats(trainer.callback_metrics)
    if not metrics and ckpt_path is not None and not trainer.interrupted:
        # The checkpoint had already reached max_epochs/max_steps (e.g. stopped after its last
        # batch): nothing was trained, so report its validation metrics instead of none.
        rank_zero_info(f"{ckpt_path} has finished training: validating it "
                       "(raise trainer.max_epochs to go on)")
        trainer.validate(model, datamodule=datamodule, verbose=False)
        metrics = _as_floats(trainer.callback_metrics)
    if not metrics and trainer.state.stage is None and trainer.interrupted:
        raise ConfigError("training was interrupted before any metric was logged")

    if cfg.get("test") and not trainer.interrupted:
        best = getattr(trainer.checkpoint_callback, "best_model_path", "") or None
        if best is None and not trainer.fast_dev_run:
            rank_zero_info("no best checkpoint: testing the current weights")
        trainer.test(model, datamodule=datamodule, ckpt_path=best, verbose=False)
        metrics.update(_as_floats(trainer.callback_metrics))

    if trainer.is_global_zero:
        _log_hparams(trainer, cfg, metrics)
        print_metrics("final metrics", {k: v for k, v in metrics.items() if not k.endswith("_step")})
        output_dir = Path(cfg.paths.output_dir)
        rank_zero_info(f"run directory: {output_dir}")
        if any(isinstance(lg, TensorBoardLogger) for lg in trainer.loggers):
            rank_zero_info(f"tensorboard:   uv run tensorboard --logdir {output_dir.parent}")
        checkpoint = trainer.checkpoint_callback
        if checkpoint is not None and getattr(checkpoint, "best_model_path", ""):
            rank_zero_info(f"best checkpoint: {checkpoint.best_model_path}")
            rank_zero_info(f"last checkpoint: {Path(checkpoint.dirpath) / 'last.ckpt'}")
    return metrics


def train_from_cli(cfg: DictConfig) -> float | None:
    """What ``nnframe <task> train`` runs: ``train`` returning ``optimized_metric`` for sweepers."""
    metrics = train(cfg)
    name = cfg.get("optimized_metric")
    if name and name not in metrics:
        raise ConfigError(f"optimized_metric={name!r} was not logged; logged metrics: {', '.join(sorted(metrics))}")
    if rank_zero_only.rank == 0:  # what `nnframe runs` shows for this run
        write_run_record(cfg.paths.output_dir, "completed", metrics, action=cfg.get("action"),
                         optimized_metric=name, monitor_mode=cfg.get("monitor_mode"))
    return metrics[name] if name else None
