"""Small datasets: enough optimizer steps for the model to settle, and a word when it did not.

BatchNorm's running statistics (momentum 0.1) forget their initial values (mean 0, variance 1)
by 0.9 per update: after 19 updates 13% of them is left and the running values lag the changing
weights, so a run of 140 images in batches of 64 for 10 epochs validates at chance (eval-mode
statistics) while its training accuracy (batch statistics) is 0.99. ``data.batch_size=auto``
picks the largest batch that gives :data:`MIN_OPTIMIZER_STEPS` updates; a run that still takes
fewer is told before training, and a validation metric at chance beside a high training one is
explained at the end.
"""

from __future__ import annotations

import math
from typing import Any

from omegaconf import DictConfig, OmegaConf
from torch import nn

#: Updates BatchNorm's running statistics need to settle (0.9**60 ~ 0.002 of the initial values left).
MIN_OPTIMIZER_STEPS = 60
#: ``data.batch_size=auto`` candidates, largest first (below 8 the batch statistics get noisy).
AUTO_BATCH_SIZES = (64, 32, 16, 8)

_NORM_TYPES = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm)


def train_size(datamodule: Any) -> int | None:
    """The number of training samples of a set-up datamodule (None when unknown)."""
    dataset = getattr(datamodule, "datasets", {}).get("train")
    try:
        return len(dataset) if dataset is not None else None
    except TypeError:  # an iterable dataset without a length
        return None


def optimizer_steps(cfg: DictConfig, samples: int, batch_size: int) -> int | None:
    """Optimizer steps of a run: ``max_epochs x ceil(samples / (batch_size x processes)) /
    accumulate_grad_batches``, at most ``trainer.max_steps``; None when the run has no epoch limit."""
    trainer = cfg.get("trainer") or {}
    epochs = trainer.get("max_epochs")
    max_steps = trainer.get("max_steps")
    if epochs is None or int(epochs) < 0:
        return int(max_steps) if max_steps is not None and int(max_steps) > 0 else None
    data = cfg.get("data") or {}
    batch = batch_size * _processes(trainer)  # with DDP each process loads data.batch_size images
    batches = max(1, samples // batch) if data.get("drop_last") else math.ceil(samples / batch)
    steps = int(epochs) * math.ceil(batches / int(trainer.get("accumulate_grad_batches") or 1))
    if max_steps is not None and int(max_steps) > 0:
        steps = min(steps, int(max_steps))
    return steps


def _processes(trainer: Any) -> int:
    """Processes of a run from ``trainer.devices`` x ``trainer.num_nodes`` (1 where ``auto``)."""
    devices = trainer.get("devices", 1)
    count = len(devices) if isinstance(devices, list | tuple) or OmegaConf.is_list(devices) else (
        int(devices) if isinstance(devices, int) and devices > 0 else 1)
    return count * max(1, int(trainer.get("num_nodes") or 1))


def batch_size_from_data(cfg: DictConfig, datamodule: Any) -> tuple[int, str]:
    """``data.batch_size=auto``: the largest of :data:`AUTO_BATCH_SIZES` that gives the run at
    least :data:`MIN_OPTIMIZER_STEPS` optimizer steps (the smallest when none does)."""
    samples = train_size(datamodule)
    if not samples:
        return AUTO_BATCH_SIZES[0], "the training set has no known size"
    for size in AUTO_BATCH_SIZES:
        steps = optimizer_steps(cfg, samples, size)
        if steps is None or steps >= MIN_OPTIMIZER_STEPS:
            break
    if steps is None:
        return size, "the run has no epoch limit"
    why = f"{samples} training images x trainer.max_epochs={cfg.trainer.max_epochs}: {steps} optimizer steps"
    if size != AUTO_BATCH_SIZES[0]:
        why += (f" (batch {AUTO_BATCH_SIZES[0]} would give {optimizer_steps(cfg, samples, AUTO_BATCH_SIZES[0])}; "
                f"a model with BatchNorm needs ~{MIN_OPTIMIZER_STEPS})")
    return size, why


def has_batch_norm(model: nn.Module) -> bool:
    """Whether ``model`` has BatchNorm layers (whose running statistics need updates to settle)."""
    return any(isinstance(module, _NORM_TYPES) for module in model.modules())


def too_few_steps_message(cfg: DictConfig, datamodule: Any, model: nn.Module) -> str | None:
    """A line for runs whose BatchNorm statistics will not settle, with the keys to set; None
    when the run takes enough steps (or its length is not known)."""
    samples = train_size(datamodule)
    batch_size = getattr(datamodule, "batch_size", None)
    if not samples or not isinstance(batch_size, int) or not has_batch_norm(model):
        return None
    steps = optimizer_steps(cfg, samples, batch_size)
    if steps is None or steps >= MIN_OPTIMIZER_STEPS:
        return None
    per_epoch = max(1, steps // max(1, int(cfg.trainer.max_epochs)))
    epochs = math.ceil(MIN_OPTIMIZER_STEPS / per_epoch)
    smaller = next((b for b in AUTO_BATCH_SIZES if b < batch_size
                    and (optimizer_steps(cfg, samples, b) or 0) >= MIN_OPTIMIZER_STEPS), None)
    fix = f"trainer.max_epochs={epochs}" + (f" or data.batch_size={smaller}" if smaller else "")
    return (f"warning: only {steps} optimizer steps in this run ({samples} training images, batch {batch_size}, "
            f"trainer.max_epochs={cfg.trainer.max_epochs}); BatchNorm's running statistics need "
            f"~{MIN_OPTIMIZER_STEPS} to settle, so validation may stay at chance: set {fix}")


def chance_report(metrics: dict[str, float], num_classes: int | None, steps: int | None = None,
                  task: str = "<task>") -> list[str]:
    """Lines explaining a validation accuracy at chance (``1 / num_classes``) beside a high
    training accuracy; empty when there is nothing to explain."""
    val, train = metrics.get("val/acc"), metrics.get("train/acc")
    if val is None or train is None or not num_classes or num_classes < 2:
        return []
    chance = 1.0 / num_classes
    if not (val <= chance + 0.1 * (1 - chance) and train >= chance + 0.5 * (1 - chance)):
        return []
    lines = [f"warning: val/acc {val:.3f} is at chance for {num_classes} classes ({chance:.3f}) while "
             f"train/acc is {train:.3f}: the model did not carry over to the validation images."]
    if steps is not None and steps < MIN_OPTIMIZER_STEPS:
        lines.append(f"  likely cause: only {steps} optimizer steps, too few for BatchNorm's running statistics "
                     f"(~{MIN_OPTIMIZER_STEPS}); fix: raise trainer.max_epochs or lower data.batch_size "
                     "(data.batch_size=auto picks it from the data)")
    else:
        lines.append("  likely causes: validation labels that do not match the training classes (look at them with "
                     f"`nnframe {task} inspect`), or too few optimizer steps for BatchNorm's running statistics "
                     "(raise trainer.max_epochs or lower data.batch_size)")
    return lines
