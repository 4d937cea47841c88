"""``evaluate(cfg)``: validate (and test) a checkpoint and return its metrics."""

from __future__ import annotations

from omegaconf import DictConfig

from nnframe.core.checkpointing import check_checkpoint_fits, read_checkpoint_metadata
from nnframe.core.errors import CheckpointError, ConfigError
from nnframe.core.training.checkpoint_config import apply_checkpoint_config
from nnframe.core.training.instantiate import build_datamodule, build_model, build_trainer, instantiate_group
from nnframe.core.training.progress_bar import progress_bar_callbacks
from nnframe.core.training.run_lifecycle import record_run
from nnframe.core.training.run_summary import (
    apply_extras,
    print_metrics,
    print_run_directory,
    report_data_counts,
)
from nnframe.core.training.train import _as_floats


def evaluate(cfg: DictConfig) -> dict[str, float]:
    """Evaluate ``cfg.ckpt_path`` on the validation split, and the test split with ``test=true``.

    The model and data come from the checkpoint's saved config unless overridden.

    Returns:
        ``val/...`` (and ``test/...``) metrics.
    """
    if not cfg.get("ckpt_path"):
        raise ConfigError("eval needs a checkpoint: add ckpt_path=<run dir>/checkpoints/<file>.ckpt")
    metadata = read_checkpoint_metadata(cfg.ckpt_path, cfg.task_name)
    cfg = apply_checkpoint_config(cfg, metadata)
    apply_extras(cfg)
    datamodule = build_datamodule(cfg, stage=None)
    report_data_counts(datamodule.data_report, cfg.paths.get("output_dir"))
    model = build_model(cfg, datamodule.class_names, weights_from_checkpoint=True)
    check_checkpoint_fits(cfg.ckpt_path, model, cfg.task_name)
    loggers = instantiate_group(cfg.get("logger"), "logger")
    trainer = build_trainer(cfg, callbacks=progress_bar_callbacks(cfg), loggers=loggers)
    try:
        trainer.validate(model, datamodule=datamodule, ckpt_path=cfg.ckpt_path, verbose=False, weights_only=True)
        metrics = _as_floats(trainer.callback_metrics)
        if cfg.get("test"):
            # The model holds the checkpoint's weights since validate: loading them again would
            # only print Lightning's "Restoring states ..." lines a second time.
            trainer.test(model, datamodule=datamodule, verbose=False)
            metrics.update(_as_floats(trainer.callback_metrics))
    except RuntimeError as error:
        if "state_dict" in str(error) or "size mismatch" in str(error):
            raise CheckpointError(
                f"{cfg.ckpt_path} does not fit the configured model: {str(error)[:500]}"
            ) from error
        raise
    print_metrics(f"evaluation of {cfg.ckpt_path}", metrics)
    print_run_directory(cfg, trainer.loggers)
    return metrics


def evaluate_from_cli(cfg: DictConfig) -> float | None:
    """What ``nnframe <task> eval`` runs: :func:`evaluate`, then its ``run.json`` (for ``nnframe
    runs``), as a training run leaves one."""
    metrics = evaluate(cfg)
    name = cfg.get("optimized_metric")
    record_run(cfg.paths.output_dir, "completed", metrics, action=cfg.get("action"), checkpoint=str(cfg.ckpt_path),
               optimized_metric=name, monitor_mode=cfg.get("monitor_mode"))
    return metrics.get(name or "", None)
