"""Where the seconds before the first training step go, for ``nnframe <task> train``.

    uv run python benchmarks/startup.py                      # cls, seg, ssl: one fresh process each
    uv run python benchmarks/startup.py --tasks cls --repeats 3
    uv run python benchmarks/startup.py --tasks seg data.on_device=false   # overrides for every run

Each run is a fresh Python process that runs the real command line (``nnframe.core.cli.main``
with the task's default config) up to its first training step and then stops. Phases, in the
order they happen:

- ``interpreter``: process start to the first line of the script (Python itself, site packages);
- ``import torch``, ``import torchvision``, ``import lightning``: the libraries every run needs
  (imported first, so later phases do not pay for them; ``lightning`` imports torchmetrics, which
  imports torchvision's models and scipy);
- ``nnframe + hydra``: the task's command line and composing the config, up to ``train``;
- ``config checks and print``: checking the config, printing it (``extras.print_config``);
- ``datamodule``: building the data (generating the shapes); ``data summary``: printing it;
- ``model``: building the network and its metrics;
- ``callbacks, loggers, trainer``: instantiating them and the Lightning trainer;
- ``fit set-up``: ``Trainer.fit`` until the first training batch (model summary, the
  sanity-check validation, the loaders, the on-device tensors).

Prints one Markdown table (seconds per phase, median over repeats) with the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

#: Runs inside the measured process: times each phase and exits at the first training step.
_PROBE = r"""
import json, os, sys, time
marks = [("start", float(sys.argv[1]))]
def mark(name):
    marks.append((name, time.time()))
mark("interpreter")
import torch
mark("import torch")
import torchvision
mark("import torchvision")
import lightning as L
mark("import lightning")
import importlib
import nnframe.core.training  # noqa: E402
train_module = sys.modules["nnframe.core.training.train"]

class FirstStep(L.Callback):
    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        mark("fit set-up")
        print("STARTUP " + json.dumps(marks), flush=True)
        os._exit(0)

def timed(fn, name):
    def wrapper(*args, **kwargs):
        out = fn(*args, **kwargs)
        mark(name)
        return out
    return wrapper

real_train = train_module.train
def train(cfg):
    mark("nnframe + hydra")
    return real_train(cfg)
train_module.train = train  # train_from_cli calls the module's train
train_module.apply_extras = timed(train_module.apply_extras, "config checks and print")
train_module.build_datamodule = timed(train_module.build_datamodule, "datamodule")
train_module.print_data_summary = timed(train_module.print_data_summary, "data summary")
train_module.build_model = timed(train_module.build_model, "model")
real_group = train_module.instantiate_group
def instantiate_group(group, what):
    out = real_group(group, what)
    if what == "callbacks":
        out.append(FirstStep())
    return out
train_module.instantiate_group = instantiate_group
train_module.build_trainer = timed(train_module.build_trainer, "callbacks, loggers, trainer")
from nnframe.core.cli import main
sys.exit(main(sys.argv[2:]))
"""

PHASES = ["interpreter", "import torch", "import torchvision", "import lightning", "nnframe + hydra",
          "config checks and print", "datamodule", "data summary", "model", "callbacks, loggers, trainer",
          "fit set-up"]


def measure(task: str, overrides: list[str], output_dir: Path) -> dict[str, float]:
    """Seconds per phase of one fresh ``nnframe <task> train`` process, up to its first step."""
    import time

    env = dict(os.environ, NNFRAME_OUTPUT_DIR=str(output_dir))
    start = time.time()
    result = subprocess.run([sys.executable, "-c", _PROBE, repr(start), task, "train", *overrides], env=env,
                            cwd=output_dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = next((ln for ln in result.stdout.splitlines() if ln.startswith("STARTUP ")), None)
    if line is None:
        raise SystemExit(f"nnframe {task} train did not reach its first step:\n{result.stdout[-4000:]}")
    marks = json.loads(line[len("STARTUP "):])
    phases: dict[str, float] = {}
    for (_, before), (name, after) in zip(marks, marks[1:], strict=False):
        phases[name] = phases.get(name, 0.0) + after - before
    phases["first step"] = marks[-1][1] - marks[0][1]
    return phases


def markdown(results: dict[str, list[dict[str, float]]], loads: list[float]) -> str:
    """One column per task: median seconds per phase over its runs."""
    tasks = list(results)
    lines = ["| phase | " + " | ".join(f"`nnframe {t} train`" for t in tasks) + " |",
             "|---|" + "---|" * len(tasks)]
    for phase in [*PHASES, "first step"]:
        cells = []
        for task in tasks:
            values = [r.get(phase, 0.0) for r in results[task]]
            cells.append(f"{statistics.median(values):.2f}")
        label = "**time to first step**" if phase == "first step" else phase
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    runs = max(len(r) for r in results.values())
    lines.append("")
    lines.append(f"Seconds, median of {runs} run(s) per task; load average {min(loads):.1f}-{max(loads):.1f}.")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict[str, list[dict[str, float]]]:
    """Parse the command line, measure each task's start-up and print the table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tasks", default="cls,seg,ssl")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("overrides", nargs="*", help="Hydra overrides added to every run")
    args = parser.parse_args(argv)
    tasks = [t for t in args.tasks.split(",") if t]
    results: dict[str, list[dict[str, float]]] = {t: [] for t in tasks}
    loads: list[float] = []
    with tempfile.TemporaryDirectory(prefix="nnframe_startup_") as tmp:
        for repeat in range(args.repeats):
            for task in tasks if repeat % 2 == 0 else tasks[::-1]:  # A B C, C B A: load drift evens out
                loads.append(os.getloadavg()[0])
                phases = measure(task, list(args.overrides), Path(tmp))
                results[task].append(phases)
                print(f"{task} (repeat {repeat}): first step after {phases['first step']:.2f} s "
                      f"(load {loads[-1]:.1f})", flush=True)
    print(markdown(results, loads))
    return results


if __name__ == "__main__":
    main()
