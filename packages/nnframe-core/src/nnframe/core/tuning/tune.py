"""``tune(cfg)``: Lightning's batch-size scaler, then its learning-rate range test, on the composed
config; the LR curve goes to TensorBoard and the result is printed as overrides to use."""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import math
import shlex
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
from lightning.pytorch.loggers import TensorBoardLogger
from lightning.pytorch.tuner import Tuner
from lightning.pytorch.utilities import rank_zero_info
from omegaconf import DictConfig, OmegaConf, open_dict

from nnframe.core.errors import ConfigError
from nnframe.core.loggers.tensorboard_command import tensorboard_command
from nnframe.core.training.instantiate import build_datamodule, build_model, build_trainer, instantiate_group
from nnframe.core.training.run_summary import apply_extras, report_data_counts
from nnframe.core.tuning.lr_check import check_learning_rates
from nnframe.core.tuning.lr_suggestion import LRSuggestion, losses_from_lightning, suggest_learning_rate

LR_KEY = "model.optimizer.lr"  # defaults of tune.lr_key / tune.batch_size_key
BATCH_SIZE_KEY = "data.batch_size"


@dataclass
class TuneResult:
    """What ``tune`` found.

    Args:
        overrides: ``key -> value`` to add to ``nnframe <task> train`` (``tune.batch_size_key``,
            ``tune.lr_key``).
        lr_curve: the range test: ``lr``, the per-step ``loss`` and the ``smoothed`` loss the
            suggestion was read from.
        notes: caveats for the user (e.g. no memory limit on CPU).
        lr_check: the short trainings that compared the suggested and the configured learning
            rate (``metric``, ``steps``, ``scores``: lr -> metric); empty when none ran.
    """

    overrides: dict[str, Any] = field(default_factory=dict)
    lr_curve: dict[str, list[float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    lr_check: dict[str, Any] = field(default_factory=dict)

    def command_line(self) -> str:
        """The overrides as ``key=value`` words."""
        return " ".join(f"{key}={value}" for key, value in self.overrides.items())


def _train_size(datamodule: Any) -> int | None:
    datasets = getattr(datamodule, "datasets", None)
    if isinstance(datasets, dict) and "train" in datasets:
        return len(datasets["train"])
    return None


def largest_useful_batch_size(train_size: int | None, num_steps: int, world_size: int = 1) -> int | None:
    """The batch size (per process) above which the LR range test's ``num_steps`` would no longer
    see ``num_steps`` different batches of the training split: ``train_size / (num_steps x world_size)``.

    Beyond it a larger batch only repeats the data (and on a CPU, where nothing runs out of
    memory, the batch-size scaler would otherwise stop at its trial cap, e.g. 2048 on 4000 images).
    """
    if not train_size:
        return None
    return max(1, train_size // max(1, num_steps * world_size))


class _TunerInternals(logging.Filter):
    """Lightning's lines about the tuner's own short fits and its temporary checkpoint
    (".lr_find_<id>.ckpt"): the end of each fit ("`Trainer.fit` stopped: `max_steps=100` reached")
    lands in the middle of the LR test's bar, which is then drawn a second time below it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message.startswith("`Trainer.fit` stopped"):
            return False
        return not (message.startswith(("Restoring states from", "Restored all states from"))
                    and (".lr_find_" in message or ".scale_batch_size_" in message))


@contextlib.contextmanager
def _quiet_tuner_internals() -> Iterator[None]:
    logger = logging.getLogger("lightning.pytorch.utilities.rank_zero")  # where Lightning's rank_zero_info logs
    quiet = _TunerInternals()
    logger.addFilter(quiet)
    try:
        yield
    finally:
        logger.removeFilter(quiet)


@contextlib.contextmanager
def _lr_test_epochs(trainer: L.Trainer, num_steps: int, batches_per_epoch: int | None) -> Iterator[None]:
    """Enough epochs for the LR range test's ``num_steps`` steps (trainer.max_epochs would cut it
    short and Lightning then reports a "diverging loss"); no tqdm line-per-refresh off a terminal."""
    from lightning.pytorch.tuner import lr_finder

    loop = trainer.fit_loop
    saved_epochs, saved_tqdm = loop.max_epochs, lr_finder.tqdm
    if batches_per_epoch:
        loop.max_epochs = max(loop.max_epochs or 1, math.ceil(num_steps / batches_per_epoch) + 1)
    if not sys.stderr.isatty():  # tqdm would write every refresh as a line of its own into a log
        lr_finder.tqdm = functools.partial(saved_tqdm, disable=True)
    try:
        yield
    finally:
        loop.max_epochs = saved_epochs
        lr_finder.tqdm = saved_tqdm


def lr_curve_figure(lrs: list[float], losses: list[float], suggestion: LRSuggestion, title: str,
                    margin: float = 10.0) -> Any:
    """The LR range test: per-step losses, their smoothed curve, and the suggestion marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7, 4.2))
    axis.plot(lrs, losses, color="0.75", linewidth=0.8, label="loss per step")
    axis.plot(lrs, suggestion.smoothed, color="C0", linewidth=2, label="smoothed")
    if suggestion.index is not None:
        i = suggestion.index
        axis.plot([lrs[i]], [suggestion.smoothed[i]], "o", color="C3", markersize=9,
                  label=f"steepest descent {lrs[i]:.3g}")
        axis.axvline(suggestion.lr, color="C3", linestyle="--", linewidth=1.2,
                     label=f"suggestion {suggestion.lr:.3g} (steepest descent / {margin:g})")
    finite = np.asarray(suggestion.smoothed)[np.isfinite(suggestion.smoothed)]
    if len(finite):  # the diverging end would squash the interesting part
        low, high = float(np.min(finite)), float(np.max(finite[: max(1, len(finite) // 2)]))
        span = max(high - low, 1e-3)
        axis.set_ylim(low - 0.3 * span, high + 0.5 * span)
    axis.set_xscale("log")
    axis.set_xlabel("learning rate")
    axis.set_ylabel("training loss")
    axis.set_title(title, fontsize=9)
    axis.grid(True, which="both", alpha=0.3)
    axis.legend(fontsize=8)
    figure.tight_layout()
    return figure


def _log_lr_curve(trainer: L.Trainer, result: TuneResult, suggestion: LRSuggestion, command: str,
                  output_dir: Path, margin: float) -> None:
    """The LR range test as a figure, scalars (``tune/lr_finder/*``) and the suggestion as text in
    TensorBoard, and ``lr_finder.png``."""
    import matplotlib.pyplot as plt

    curve = result.lr_curve
    title = f"LR range test: {command}" if command else "LR range test: no suggestion"
    figure = lr_curve_figure(curve["lr"], curve["loss"], suggestion, title, margin)
    figure.savefig(output_dir / "lr_finder.png", dpi=100)
    for logger in trainer.loggers:
        if isinstance(logger, TensorBoardLogger):
            writer = logger.experiment
            writer.add_figure("tune/lr_finder", figure)
            for step, (lr, loss, smooth) in enumerate(zip(curve["lr"], curve["loss"], curve["smoothed"],
                                                          strict=True)):
                writer.add_scalar("tune/lr_finder/lr", lr, step)
                writer.add_scalar("tune/lr_finder/loss", loss, step)
                if math.isfinite(smooth):
                    writer.add_scalar("tune/lr_finder/loss_smoothed", smooth, step)
            text = f"`{command}`" if command else "no suggestion"
            notes = "".join(f"\n\n- {note}" for note in result.notes)
            writer.add_text("tune/suggestion", text + notes)
            writer.flush()
    plt.close(figure)


def tune(cfg: DictConfig) -> TuneResult:
    """Find a batch size (``tune.scale_batch_size``) and then a learning rate (``tune.lr_find``).

    The batch size comes first because the best learning rate depends on it. It is searched only
    up to :func:`largest_useful_batch_size`; the LR range test runs ``tune.num_steps`` steps and
    its suggestion comes from :func:`~nnframe.core.tuning.lr_suggestion.suggest_learning_rate`.

    Returns:
        The overrides to train with (keys ``tune.batch_size_key`` and ``tune.lr_key``), and the LR curve.
    """
    settings = cfg.tune
    lr_key = str(settings.get("lr_key") or LR_KEY)
    batch_size_key = str(settings.get("batch_size_key") or BATCH_SIZE_KEY)
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
    num_steps = int(settings.num_steps)
    train_size = _train_size(datamodule)

    if settings.scale_batch_size:
        with _quiet_tuner_internals():
                _scale_batch_size(tuner, model, datamodule, settings, result, batch_size_key, train_size, num_steps,
                              cpu=trainer.accelerator.__class__.__name__ == "CPUAccelerator",
                              world_size=trainer.world_size)

    suggestion = LRSuggestion(None, None, np.array([]))
    if settings.lr_find:
        if OmegaConf.select(cfg, lr_key) is None:
            raise ConfigError(f"tune.lr_key={lr_key} is not a key of this config; set tune.lr_key to the "
                              "learning rate's key (e.g. model.optimizer.lr)")
        batch = int(getattr(datamodule, "batch_size", 0) or 0)
        per_epoch = train_size // max(1, batch * trainer.world_size) if train_size and batch else None
        with _lr_test_epochs(trainer, num_steps, per_epoch), _quiet_tuner_internals():
            lr_finder = tuner.lr_find(
                model, datamodule=datamodule, min_lr=float(settings.min_lr), max_lr=float(settings.max_lr),
                num_training=num_steps, early_stop_threshold=settings.early_stop_threshold, update_attr=False,
            )
        if lr_finder is not None:
            lrs = [float(v) for v in lr_finder.results["lr"]]
            losses = losses_from_lightning(lr_finder.results["loss"])
            suggestion = suggest_learning_rate(lrs, losses, margin=float(settings.get("lr_margin", 10.0)))
            result.lr_curve = {"lr": lrs, "loss": [float(v) for v in losses],
                               "smoothed": [float(v) for v in suggestion.smoothed]}
            if len(lrs) < num_steps:
                result.notes.append(f"the LR range test stopped after {len(lrs)} of {num_steps} steps: the loss "
                                    f"went above tune.early_stop_threshold={settings.early_stop_threshold} x its "
                                    f"lowest value (at lr {lrs[-1]:.2g})")
            if suggestion.lr is None:
                result.notes.append(f"no learning rate suggested: {suggestion.reason}; raise tune.num_steps or "
                                    "narrow tune.min_lr/tune.max_lr around the learning rates that matter")
            else:
                _keep_if_it_trains(cfg, datamodule, settings, result, lr_key, float(f"{suggestion.lr:.3g}"))

    command = f"nnframe {cfg.task_name} train {result.command_line()}" if result.overrides else ""
    if settings.lr_find and result.lr_curve and trainer.is_global_zero:
        _log_lr_curve(trainer, result, suggestion, command, output_dir, float(settings.get("lr_margin", 10.0)))
    (output_dir / "tune.json").write_text(json.dumps({**asdict(result), "command": command}, indent=2))
    return result


def _keep_if_it_trains(cfg: DictConfig, datamodule: Any, settings: DictConfig, result: TuneResult, lr_key: str,
                       suggested: float) -> None:
    """Put the suggested learning rate into the overrides only if a short training at it
    (``tune.check_steps``) does at least as well as one at the configured learning rate."""
    configured = float(OmegaConf.select(cfg, lr_key))
    steps = int(settings.get("check_steps") or 0)
    if steps <= 0 or math.isclose(suggested, configured, rel_tol=1e-3):
        result.overrides[lr_key] = suggested
        return
    check = check_learning_rates(cfg, datamodule, lr_key, [suggested, configured], steps)
    result.lr_check = {"metric": check.metric, "steps": steps,
                       "scores": {str(lr): score for lr, score in check.scores.items()}}
    scores = f"{check.metric} {check.scores[suggested]:.3g} at {suggested:.3g} against {check.scores[configured]:.3g}"
    if check.better_or_equal(suggested, configured):
        result.overrides[lr_key] = suggested
        result.notes.append(f"learning rate checked: {scores} at the configured {configured:.3g} "
                            f"after {steps} training steps each (tune.check_steps)")
    else:
        result.notes.append(f"no reliable learning rate found, keep the configured {lr_key}={configured:g}: the "
                            f"LR range test's suggestion trained worse in a short check ({scores} at "
                            f"{configured:.3g} after {steps} training steps each, tune.check_steps)")


def _scale_batch_size(tuner: Tuner, model: Any, datamodule: Any, settings: DictConfig, result: TuneResult,
                      batch_size_key: str, train_size: int | None, num_steps: int, cpu: bool,
                      world_size: int) -> None:
    """Lightning's batch-size scaler, doubling from the configured batch size, never above
    :func:`largest_useful_batch_size` nor ``tune.batch_size_max_trials`` doublings."""
    if not hasattr(datamodule, "batch_size"):
        raise ConfigError(f"{type(datamodule).__name__} has no batch_size; add tune.scale_batch_size=false")
    start = int(datamodule.batch_size)
    cap = largest_useful_batch_size(train_size, num_steps, world_size)
    doublings = int(settings.batch_size_max_trials)
    if cap is not None:
        doublings = min(doublings, int(math.floor(math.log2(cap / start))) if cap >= start else -1)
    if doublings <= 0:
        result.notes.append(f"batch size kept at {start}, not searched: with {train_size} training images, a larger "
                            f"batch ({2 * start}) would make the LR range test's {num_steps} steps repeat images")
        return
    batch_size = tuner.scale_batch_size(
        model, datamodule=datamodule, mode=settings.batch_size_mode, init_val=start,
        max_trials=doublings + 1, steps_per_trial=int(settings.batch_size_steps),
        max_val=start * 2 ** doublings + 1,
    )
    if batch_size:
        result.overrides[batch_size_key] = int(batch_size)
        datamodule.batch_size = int(batch_size)
    if cpu:
        result.notes.append(f"on CPU no batch size runs out of memory: {batch_size} is the largest tried "
                            f"(at most {train_size} / {num_steps} LR-test steps, or tune.batch_size_max_trials "
                            "doublings), not a memory limit")


def tune_from_cli(cfg: DictConfig) -> None:
    """What ``nnframe <task> tune`` runs: tune, then print the overrides to train with."""
    result = tune(cfg)
    for note in result.notes:
        rank_zero_info(f"note: {note}")
    output_dir = Path(cfg.paths.output_dir).absolute()
    if result.lr_curve:
        rank_zero_info(f"LR range test: {output_dir / 'lr_finder.png'} "
                       f"(and TensorBoard: {tensorboard_command(output_dir)})")
    if result.overrides:
        words = [f"{key}={value}" for key, value in result.overrides.items()]
        rank_zero_info(f"use: {shlex.join(['nnframe', cfg.task_name, 'train', *words])}")
