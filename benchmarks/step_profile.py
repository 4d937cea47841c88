"""Where the time of one nnframe training step goes: each part timed over a real run.

    uv run python benchmarks/step_profile.py                    # tiny_cnn, as overhead.py runs it
    uv run python benchmarks/step_profile.py --setting resnet18 --steps 40

Runs ``train(cfg)`` on the config of ``overhead.py`` (default callbacks, loggers and progress
bar) and times, from the ``--drop``-th step on, the module's own parts (forward and loss, the
training metrics' update, logging the loss, backward, the optimizer step) and every callback's
per-batch hooks, by wrapping them; the rest of a step is Lightning's loop. Prints one Markdown
table: mean and median milliseconds per step (a mean well above the median: a part that costs
now and then, e.g. the progress bar's redraw every 10 steps, or another job taking the CPU).
"""

from __future__ import annotations

import argparse
import functools
import importlib
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import overhead  # noqa: E402  (the settings and their config)

HOOKS = ("on_train_batch_start", "on_train_batch_end", "on_before_backward", "on_after_backward",
         "on_before_optimizer_step", "on_before_zero_grad")
MODULE_PARTS = {  # attribute of the task module: the name shown
    "model_step": "forward + loss",
    "update_train_metrics": "training metrics (update_train_metrics)",
    "log_train_loss": "log_train_loss (self.log)",
    "backward": "backward",
    "optimizer_step": "optimizer step (wraps forward + loss + backward)",
    "optimizer_zero_grad": "zero_grad",
    "lr_scheduler_step": "LR scheduler step",
}


class _Timings:
    """Seconds per call of each wrapped part, recorded while :attr:`active`."""

    def __init__(self) -> None:
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.active = False

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            if not self.active:
                return fn(*args, **kwargs)
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.samples[name].append(time.perf_counter() - start)
        return timed


def profile(setting: str, steps: int, drop: int, batch_size: int, extra: list[str]) -> tuple[dict[str, list[float]], int]:
    """Run ``setting`` once with every part timed; returns the samples and the timed step count."""
    import lightning as L

    timings = _Timings()
    step_marks: list[float] = []

    class Gate(L.Callback):
        """Switches the timing on from step ``drop`` and marks each step's start."""

        def on_train_batch_start(self, trainer: L.Trainer, pl_module: L.LightningModule, batch: Any,
                                 batch_idx: int) -> None:
            timings.active = batch_idx >= drop
            if timings.active:
                step_marks.append(time.perf_counter())

        def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
            if timings.active:
                step_marks.append(time.perf_counter())
            timings.active = False

    train_module = importlib.import_module("nnframe.core.training.train")
    real_group, real_model = train_module.instantiate_group, train_module.build_model

    def instantiate_group(group: Any, what: str) -> list[Any]:
        callbacks = real_group(group, what)
        if what == "callbacks":
            for callback in callbacks:
                for hook in HOOKS:
                    if getattr(type(callback), hook) is not getattr(L.Callback, hook):
                        setattr(callback, hook, timings.wrap(f"callback {type(callback).__name__}.{hook}",
                                                             getattr(callback, hook)))
            callbacks.insert(0, Gate())
        return callbacks

    def build_model(cfg: Any, class_names: list[str]) -> Any:
        model = real_model(cfg, class_names)
        for attribute, name in MODULE_PARTS.items():
            if hasattr(model, attribute):
                setattr(model, attribute, timings.wrap(name, getattr(model, attribute)))
        return model

    train_module.instantiate_group, train_module.build_model = instantiate_group, build_model
    try:
        # Not deleted here: TensorBoard's writer thread may still flush into it while the process exits.
        cfg = overhead.compose(setting, steps, batch_size, Path(tempfile.mkdtemp(prefix="nnframe_step_")) / "run",
                               extra)
        train_module.train(cfg)
    finally:
        train_module.instantiate_group, train_module.build_model = real_group, real_model
    step_times = [b - a for a, b in zip(step_marks, step_marks[1:], strict=False)]
    timings.samples["whole step (data included)"] = step_times
    return dict(timings.samples), len(step_times)


def markdown(samples: dict[str, list[float]], steps: int) -> str:
    """Parts sorted by their mean cost per step."""
    rows = sorted(samples.items(), key=lambda kv: -sum(kv[1]))
    lines = ["| part | ms/step (mean) | ms/call (median) | calls/step |", "|---|---|---|---|"]
    for name, values in rows:
        lines.append(f"| {name} | {1000 * sum(values) / steps:.3f} | {1000 * statistics.median(values):.3f} | "
                     f"{len(values) / steps:.2f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict[str, list[float]]:
    """Parse the command line, profile and print the table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--setting", choices=list(overhead.SETTINGS), default="tiny_cnn")
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--drop", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (0: torch's default)")
    parser.add_argument("overrides", nargs="*", help="extra Hydra overrides")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    samples, steps = profile(args.setting, args.steps, args.drop, args.batch_size, args.overrides)
    print(f"{args.setting}: {steps} steps timed (first {args.drop} left out), batch {args.batch_size}, "
          f"{torch.get_num_threads()} torch threads")
    print(markdown(samples, steps))
    return samples


if __name__ == "__main__":
    main()
