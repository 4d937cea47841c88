"""``train(cfg)``: fit a model on the composed config, test the best checkpoint, return metrics."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.accelerators import CPUAccelerator
from lightning.pytorch.utilities import rank_zero_info
from lightning.pytorch.utilities.exceptions import SIGTERMException
from omegaconf import DictConfig

from nnframe.core.callbacks.preemption_checkpoint_callback import PreemptionCheckpointCallback
from nnframe.core.checkpointing import check_checkpoint_fits
from nnframe.core.compat.lightning import signal_connector
from nnframe.core.errors import CheckpointError, ConfigError
from nnframe.core.external_launch import slurm_requeued
from nnframe.core.loggers import checkpoint_global_step
from nnframe.core.training.config_checks import ensure_writable_dir, validate_config
from nnframe.core.training.instantiate import (
    build_datamodule,
    build_loggers,
    build_model,
    build_trainer,
    instantiate_group,
)
from nnframe.core.training.optimizer_steps import (
    chance_report,
    optimizer_steps,
    too_few_steps_message,
    train_size,
)
from nnframe.core.training.run_info import log_run_info
from nnframe.core.training.run_lifecycle import RunInterrupted, continue_command, record_run, stop_message
from nnframe.core.training.run_summary import (
    apply_extras,
    print_data_summary,
    print_metrics,
    print_run_directory,
    report_data_counts,
)
from nnframe.core.training.slurm_requeue import requeue_slurm_job
from nnframe.core.training.stop_signals import STOP_SIGNALS, StopSignalConnector
from nnframe.core.training.thread_advice import busy_machine_note


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
    directory's ``checkpoints/last.ckpt`` (the run directory is the latest run of this config); so
    does a SLURM job started again after a requeue, in the run directory it had."""
    if cfg.get("ckpt_path"):
        path = Path(cfg.ckpt_path)
        if not path.is_file():
            raise CheckpointError(f"ckpt_path={cfg.ckpt_path} does not exist")
        return str(path)
    if cfg.get("resume") or slurm_requeued():  # a requeued SLURM job continues where it stopped
        last = Path(cfg.paths.output_dir) / "checkpoints" / "last.ckpt"
        if last.is_file():
            return str(last)
        rank_zero_info(f"resume=true but no {last} yet: starting a new run")
    return None


# --- run lifecycle: a stop on a signal (kept apart from the training itself) --------------------

def _interrupted(cfg: DictConfig, trainer: L.Trainer, callbacks: list[Any], stage: str) -> RunInterrupted:
    """The exception that ends a run stopped by SIGTERM or Ctrl-C, after printing (on rank 0)
    where it stopped, its checkpoint and the command that continues it."""
    connector = signal_connector(trainer)
    signum = int(getattr(connector, "stop_signal", None) or signal.SIGTERM)
    preemption = next((cb for cb in callbacks if isinstance(cb, PreemptionCheckpointCallback)), None)
    checkpoint = preemption.saved_path if preemption is not None else None
    if checkpoint is None:  # nothing saved on the stop (e.g. during the test): the run's last one
        last = Path(cfg.paths.output_dir) / "checkpoints" / "last.ckpt"
        checkpoint = last if last.is_file() else None
    message = stop_message(cfg.task_name, signum, trainer.current_epoch, trainer.global_step, checkpoint,
                           written=bool(preemption and preemption.written), stage=stage,
                           preemption_callback=preemption is not None)
    requeued = False
    if signum not in STOP_SIGNALS and trainer.is_global_zero:  # SLURM's requeue signal (see slurm_requeue)
        requeued, line = requeue_slurm_job()
        message += "\n" + line
    rank_zero_info(message)
    return RunInterrupted(signum, message, {"epoch": trainer.current_epoch, "step": trainer.global_step,
                                            "checkpoint": str(checkpoint) if checkpoint else None,
                                            "continue": continue_command(cfg.task_name) if checkpoint else None,
                                            **({"requeued": True} if requeued else {})})


def _record_stop_at_once(cfg: DictConfig, trainer: L.Trainer) -> None:
    """A second signal ends the process at once (no Python code after it): leave run.json first."""
    def record(signum: int) -> None:
        record_run(cfg.paths.output_dir, "interrupted", action=cfg.get("action"),
                   signal=signal.Signals(signum).name, stopped_at_once=True, epoch=trainer.current_epoch,
                   step=trainer.global_step, optimized_metric=cfg.get("optimized_metric"),
                   monitor_mode=cfg.get("monitor_mode"))

    connector = signal_connector(trainer)
    if isinstance(connector, StopSignalConnector):
        connector.hard_stop_hooks.append(record)


def _stop_requested_after(trainer: L.Trainer) -> bool:
    """Whether a stop was asked for that the loop did not act on (e.g. in the last validation);
    every process calls this at the same point and gets the same answer."""
    connector = signal_connector(trainer)
    return isinstance(connector, StopSignalConnector) and connector.agree_on_stop() is not None


def _final_table(metrics: dict[str, float]) -> dict[str, float]:
    """The end-of-run table: every stage's overall values, and the per-class values
    (``<stage>/<metric>/<class>``) of the test split only (of val without a test), so a 20-class
    run prints 20 rows of them, not 60; all of them are in TensorBoard, run.json and the CSV log."""
    overall = {k: v for k, v in metrics.items() if not k.endswith("_step") and k.count("/") < 2}
    per_class = [k for k in metrics if k.count("/") >= 2]
    stage = "test/" if any(k.startswith("test/") for k in per_class) else "val/"
    return {**overall, **{k: metrics[k] for k in per_class if k.startswith(stage)}}


def _apply_cv_fold(cfg: DictConfig, datamodule: Any) -> None:
    """With ``cv.fold=k``, train and validate on fold k's parts of the training split."""
    cv = cfg.get("cv") or {}
    if cv.get("fold") is None:
        return
    if not cv.get("folds"):
        raise ConfigError(f"cv.fold={cv.fold} needs the number of folds: add cv.folds=5 (or how many you split into)")
    from nnframe.core.cv import apply_fold

    apply_fold(datamodule, int(cv.folds), int(cv.fold), int(cfg.seed))


def _explain_chance(cfg: DictConfig, datamodule: Any, metrics: dict[str, float]) -> None:
    """A validation accuracy at chance beside a high training one: say so, with its likely cause."""
    samples, batch_size = train_size(datamodule), getattr(datamodule, "batch_size", None)
    steps = optimizer_steps(cfg, samples, batch_size) if samples and isinstance(batch_size, int) else None
    for line in chance_report(metrics, len(getattr(datamodule, "class_names", None) or []), steps,
                              str(cfg.get("task_name", "<task>"))):
        rank_zero_info(line)


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
    _apply_cv_fold(cfg, datamodule)
    if cfg.get("extras", {}).get("print_data_summary", True):
        print_data_summary(datamodule.summary())
    report_data_counts(datamodule.data_report, cfg.paths.output_dir)
    model = build_model(cfg, datamodule.class_names)
    few_steps = too_few_steps_message(cfg, datamodule, model)
    if few_steps and not cfg.trainer.get("fast_dev_run"):
        rank_zero_info(few_steps)
    ckpt_path = resume_checkpoint(cfg)
    resumed_step = None
    if ckpt_path is not None:
        check_checkpoint_fits(ckpt_path, model, cfg.task_name)
        resumed_step = checkpoint_global_step(ckpt_path)
    callbacks = instantiate_group(cfg.get("callbacks"), "callbacks")
    loggers = build_loggers(cfg, resumed_step)
    trainer = build_trainer(cfg, callbacks, loggers)
    if isinstance(trainer.accelerator, CPUAccelerator) and trainer.is_global_zero:
        note = busy_machine_note(torch.get_num_threads())
        if note:
            rank_zero_info(f"note: {note}")
    _record_stop_at_once(cfg, trainer)
    log_run_info(trainer, cfg)  # TensorBoard's HPARAMS and TEXT entries of this run
    try:
        trainer.fit(model, datamodule=datamodule, ckpt_path=ckpt_path, weights_only=True)
    except SIGTERMException:
        raise _interrupted(cfg, trainer, callbacks, "training") from None
    if _stop_requested_after(trainer):
        raise _interrupted(cfg, trainer, callbacks, "training")
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
        try:
            trainer.test(model, datamodule=datamodule, ckpt_path=best, verbose=False, weights_only=True)
        except SIGTERMException:
            raise _interrupted(cfg, trainer, callbacks, "the test") from None
        metrics.update(_as_floats(trainer.callback_metrics))

    if trainer.is_global_zero:
        print_metrics("final metrics", _final_table(metrics))
        _explain_chance(cfg, datamodule, metrics)
        report_data_counts(datamodule.data_report, cfg.paths.output_dir)  # what was left out, again at the end
        print_run_directory(cfg, trainer.loggers)
        checkpoint = trainer.checkpoint_callback
        if checkpoint is not None and getattr(checkpoint, "best_model_path", ""):
            rank_zero_info(f"best checkpoint: {Path(checkpoint.best_model_path).absolute()}")
            rank_zero_info(f"last checkpoint: {(Path(checkpoint.dirpath) / 'last.ckpt').absolute()}")
    return metrics


def train_from_cli(cfg: DictConfig) -> float | None:
    """What ``nnframe <task> train`` runs: ``train`` returning ``optimized_metric`` for sweepers
    (with ``cv.folds=N``, every fold in turn and the mean over the folds)."""
    cv = cfg.get("cv") or {}
    if cv.get("folds") and cv.get("fold") is None:
        from nnframe.core.cv import run_cross_validation

        metrics = run_cross_validation(cfg, train)
    else:
        metrics = train(cfg)
    name = cfg.get("optimized_metric")
    if name and name not in metrics:
        raise ConfigError(f"optimized_metric={name!r} was not logged; logged metrics: {', '.join(sorted(metrics))}")
    record_run(cfg.paths.output_dir, "completed", metrics, action=cfg.get("action"),  # for `nnframe runs`
               optimized_metric=name, monitor_mode=cfg.get("monitor_mode"))
    return metrics[name] if name else None
