"""``tune(cfg)``: Lightning's batch-size scaler, then its learning-rate range test, on the composed
config; the LR curve goes to TensorBoard and the result is printed as overrides to use."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import lightning as L
from lightning.pytorch.loggers import TensorBoardLogger
from lightning.pytorch.tuner import Tuner
from lightning.pytorch.utilities import rank_zero_info
from omegaconf import DictConfig, OmegaConf, open_dict

from nnframe.core.errors import ConfigError
from nnframe.core.training.instantiate import build_datamodule, build_model, build_trainer, instantiate_group
from nnframe.core.training.run_summary import apply_extras, report_data_counts

LR_KEY = "model.optimizer.lr"
BATCH_SIZE_KEY = "data.batch_size"


@dataclass
class TuneResult:
    """What ``tune`` found.

    Args:
        overrides: ``key -> value`` to add to ``nnframe <task> train`` (``model.optimizer.lr``, ``data.batch_size``).
        lr_curve: the range test, ``{"lr": [...], "loss": [...]}``.
        notes: caveats for the user (e.g. no memory limit on CPU).
    """

    overrides: dict[str, Any] = field(default_factory=dict)
    lr_curve: dict[str, list[float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def command_line(self) -> str:
        """The overrides as ``key=value`` words."""
        return " ".join(f"{key}={value}" for key, value in self.overrides.items())


def _log_lr_curve(trainer: L.Trainer, lr_finder: Any, output_dir: Path) -> None:
    """The LR range test as a figure and as scalars (``tune/lr_finder/*``) in TensorBoard, and a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure = lr_finder.plot(suggest=True, show=False)
    figure.savefig(output_dir / "lr_finder.png", dpi=100)
    for logger in trainer.loggers:
        if isinstance(logger, TensorBoardLogger):
            writer = logger.experiment
            writer.add_figure("tune/lr_finder", figure)
            for step, (lr, loss) in enumerate(zip(lr_finder.results["lr"], lr_finder.results["loss"], strict=True)):
                writer.add_scalar("tune/lr_finder/lr", lr, step)
                writer.add_scalar("tune/lr_finder/loss", loss, step)
            writer.flush()
    plt.close(figure)


def tune(cfg: DictConfig) -> TuneResult:
    """Find a batch size (``tune.scale_batch_size``) and then a learning rate (``tune.lr_find``).

    The batch size comes first because the best learning rate depends on it.

    Returns:
        The overrides to train with, and the LR curve.
    """
    settings = cfg.tune
    if not settings.lr_find and not settings.scale_batch_size:
        raise ConfigError("tune.lr_find and tune.scale_batch_size are both false: nothing to tune")
    apply_extras(cfg)
    L.seed_everything(cfg.seed, workers=True)
    with open_dict(cfg):
        cfg.trainer.enable_checkpointing = False  # the tuner saves and restores its own state
    datamodule = build_datamodule(cfg, stage="fit")
    report_data_counts(datamodule.data_report, cfg.paths.output_dir)
    model = build_model(cfg, datamodule.class_names)
    trainer = build_trainer(cfg, callbacks=[], loggers=instantiate_group(cfg.get("logger"), "logger"))
    tuner = Tuner(trainer)
    result = TuneResult()
    output_dir = Path(cfg.paths.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)

    if settings.scale_batch_size:
        if not hasattr(datamodule, "batch_size"):
            raise ConfigError(f"{type(datamodule).__name__} has no batch_size; add tune.scale_batch_size=false")
        batch_size = tuner.scale_batch_size(
            model, datamodule=datamodule, mode=settings.batch_size_mode, init_val=int(datamodule.batch_size),
            max_trials=int(settings.batch_size_max_trials), steps_per_trial=int(settings.batch_size_steps),
        )
        if batch_size:
            result.overrides[BATCH_SIZE_KEY] = int(batch_size)
            datamodule.batch_size = int(batch_size)
        if trainer.accelerator.__class__.__name__ == "CPUAccelerator":
            result.notes.append("on CPU no batch size runs out of memory: the batch size found is the "
                                "largest tried (tune.batch_size_max_trials), not a memory limit")

    if settings.lr_find:
        if OmegaConf.select(cfg, LR_KEY) is None:
            result.notes.append(f"the config has no {LR_KEY}: set the learning rate found by hand")
        lr_finder = tuner.lr_find(
            model, datamodule=datamodule, min_lr=float(settings.min_lr), max_lr=float(settings.max_lr),
            num_training=int(settings.num_steps), early_stop_threshold=settings.early_stop_threshold,
            update_attr=False,
        )
        if lr_finder is not None:
            result.lr_curve = {k: [float(v) for v in vs] for k, vs in lr_finder.results.items()}
            suggestion = lr_finder.suggestion()
            if suggestion is None:
                result.notes.append("the LR range test had too few points for a suggestion: raise tune.num_steps")
            else:
                result.overrides[LR_KEY] = float(f"{suggestion:.3g}")
            if trainer.is_global_zero:
                _log_lr_curve(trainer, lr_finder, output_dir)

    (output_dir / "tune.json").write_text(json.dumps(asdict(result), indent=2))
    return result


def tune_from_cli(cfg: DictConfig) -> None:
    """What ``nnframe <task> tune`` runs: tune, then print the overrides to train with."""
    result = tune(cfg)
    for note in result.notes:
        rank_zero_info(f"note: {note}")
    output_dir = Path(cfg.paths.output_dir)
    rank_zero_info(f"LR range test: {output_dir / 'lr_finder.png'} "
                   f"(and TensorBoard: uv run tensorboard --logdir {output_dir})")
    if result.overrides:
        rank_zero_info(f"use: nnframe {cfg.task_name} train {result.command_line()}")
