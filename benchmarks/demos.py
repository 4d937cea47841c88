"""Time the default demos end to end through the real ``nnframe`` command, one after the other.

    uv run python benchmarks/demos.py                         # cls, seg, ssl once each
    uv run python benchmarks/demos.py --repeats 2             # cls seg ssl, then ssl seg cls
    uv run python benchmarks/demos.py --tasks cls,seg trainer.max_epochs=1   # overrides for every run

Each run is ``nnframe <task> train`` in a fresh process with its default config (callbacks,
loggers, progress bar, test), plus ``FirstStepTimerCallback``, which only reads a clock; runs
write into a temporary ``NNFRAME_OUTPUT_DIR``. Per run: wall time (process start to exit), the
process's CPU time (user + system: on a machine shared with other jobs it grows far less than
wall time, so its ratios are the steadier estimate of a quiet machine's), time
to the first training step, the share of the training epochs spent waiting for data (from the
``epoch N: ... waiting for data`` lines, weighted by epoch time), the final value of the run's
``optimized_metric`` (from its ``run.json``) and the load average before and after. Repeats
alternate the order (A B C, C B A, ...), so a drift of the machine's load favours no demo; the
wall-time ratios to the cls demo are computed within each repeat.

Writes ``benchmarks/results/<device>/demos.{jsonl,md}`` (``--out`` elsewhere) and prints the table.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST_STEP = "+callbacks.first_step._target_=nnframe.core.benchmark.FirstStepTimerCallback"
_EPOCH_LINE = re.compile(r"^epoch (\d+): ([\d.]+) s, (\d+)% waiting for data", re.MULTILINE)
_FIRST_STEP_LINE = re.compile(r"first training step after ([\d.]+) s")
_RUN_DIR_LINE = re.compile(r"^run directory: (.+)$", re.MULTILINE)


@dataclass
class DemoRun:
    """Figures of one ``nnframe <task> train`` run."""

    task: str
    repeat: int
    wall_s: float
    cpu_s: float  # user + system time of the run's process: steadier than wall time on a loaded machine
    first_step_s: float | None
    epochs: int
    train_s: float
    data_wait_pct: float | None  # time-weighted over the epochs
    max_epoch_data_wait_pct: float | None
    metric: str | None
    value: float | None
    load_before: float
    load_after: float
    returncode: int
    overrides: list[str] = field(default_factory=list)


def nnframe_command() -> list[str]:
    """The ``nnframe`` console script of this environment."""
    script = Path(sys.executable).parent / "nnframe"
    if script.is_file():
        return [str(script)]
    found = shutil.which("nnframe")
    if found is None:
        raise SystemExit("the nnframe command is not installed in this environment (uv sync)")
    return [found]


def parse_output(text: str) -> dict[str, object]:
    """First-step seconds, epoch times and data shares, and the run directory of a run's output."""
    epochs = [(float(t), float(p)) for _, t, p in _EPOCH_LINE.findall(text)]
    first = _FIRST_STEP_LINE.search(text)
    run_dir = _RUN_DIR_LINE.findall(text)
    train_s = sum(t for t, _ in epochs)
    return {
        "first_step_s": float(first.group(1)) if first else None,
        "epochs": len(epochs),
        "train_s": train_s,
        "data_wait_pct": sum(t * p for t, p in epochs) / train_s if train_s > 0 else None,
        "max_epoch_data_wait_pct": max((p for _, p in epochs), default=None),
        "run_dir": run_dir[-1].strip() if run_dir else None,
    }


def final_metric(run_dir: str | None) -> tuple[str | None, float | None]:
    """``(optimized_metric, its final value)`` from the run's ``run.json``."""
    if run_dir is None or not (Path(run_dir) / "run.json").is_file():
        return None, None
    record = json.loads((Path(run_dir) / "run.json").read_text(encoding="utf-8"))
    name = record.get("optimized_metric")
    value = (record.get("metrics") or {}).get(name)
    return name, None if value is None else float(value)


def run_demo(task: str, repeat: int, overrides: list[str], output_root: Path, log_dir: Path) -> DemoRun:
    """Run ``nnframe <task> train`` once in a fresh process and read its figures."""
    env = dict(os.environ, NNFRAME_OUTPUT_DIR=str(output_root / f"{task}{repeat}"))
    load_before = os.getloadavg()[0]
    usage_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.time()
    env["NNFRAME_START_TIME"] = repr(start)
    result = subprocess.run([*nnframe_command(), task, "train", FIRST_STEP, *overrides], env=env, cwd=output_root,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wall = time.time() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = usage.ru_utime - usage_before.ru_utime + usage.ru_stime - usage_before.ru_stime
    log = log_dir / f"{task}{repeat}.log"
    log.write_text(result.stdout, encoding="utf-8")
    if result.returncode != 0:
        print(result.stdout[-4000:], file=sys.stderr)
        print(f"nnframe {task} train failed with exit code {result.returncode} (log: {log})", file=sys.stderr)
    parsed = parse_output(result.stdout)
    metric, value = final_metric(parsed.pop("run_dir"))  # type: ignore[arg-type]
    return DemoRun(task=task, repeat=repeat, wall_s=wall, cpu_s=cpu, metric=metric, value=value, load_before=load_before,
                   load_after=os.getloadavg()[0], returncode=result.returncode, overrides=overrides,
                   **parsed)  # type: ignore[arg-type]


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def markdown(runs: list[DemoRun]) -> str:
    """The runs as a Markdown table, then each demo's wall time relative to the cls demo of its repeat."""
    lines = [
        "| demo | repeat | wall s | CPU s | first step s | epochs | training s | waiting for data | worst epoch | "
        "final metric | load avg (before -> after) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        metric = f"{run.metric} {_fmt(run.value, '.3f')}" if run.metric else "-"
        lines.append(
            f"| `nnframe {run.task} train` | {run.repeat} | {run.wall_s:.1f} | {run.cpu_s:.1f} | "
            f"{_fmt(run.first_step_s, '.1f')} | "
            f"{run.epochs} | {run.train_s:.1f} | {_fmt(run.data_wait_pct, '.0f')}% | "
            f"{_fmt(run.max_epoch_data_wait_pct, '.0f')}% | {metric} | "
            f"{run.load_before:.1f} -> {run.load_after:.1f} |")
    ratios: dict[tuple[str, str], list[float]] = {}
    for run in runs:
        cls = next((r for r in runs if r.task == "cls" and r.repeat == run.repeat), None)
        if cls is not None and run.task != "cls":
            ratios.setdefault((run.task, "wall"), []).append(run.wall_s / cls.wall_s)
            ratios.setdefault((run.task, "CPU"), []).append(run.cpu_s / max(cls.cpu_s, 1e-9))
    if ratios:
        lines.append("")
        lines += [f"- `{task}` / `cls` {clock} time: " + ", ".join(f"{r:.2f}" for r in values)
                  + (f" (median {statistics.median(values):.2f})" if len(values) > 1 else "")
                  for (task, clock), values in ratios.items()]
    return "\n".join(lines) + "\n"


def default_out_dir() -> Path:
    """``benchmarks/results/<device>``, as ``run_all.py`` names it."""
    from nnframe.core.benchmark import device_slug, resolve_device

    return ROOT / "benchmarks" / "results" / device_slug(resolve_device("auto"))


def main(argv: list[str] | None = None) -> list[DemoRun]:
    """Parse the command line, run the demos and write the table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tasks", default="cls,seg,ssl", help="comma-separated demos, in this order")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None, help="folder of demos.{jsonl,md}")
    parser.add_argument("--logs", type=Path, default=None, help="keep each run's whole output here (<task><repeat>.log)")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides added to every run")
    args = parser.parse_args(argv)
    tasks = [t for t in args.tasks.split(",") if t]
    runs: list[DemoRun] = []
    with tempfile.TemporaryDirectory(prefix="nnframe_demos_") as tmp:
        for repeat in range(args.repeats):
            for task in tasks if repeat % 2 == 0 else tasks[::-1]:
                log_dir = args.logs or Path(tmp)
                log_dir.mkdir(parents=True, exist_ok=True)
                run = run_demo(task, repeat, list(args.overrides), Path(tmp), log_dir)
                runs.append(run)
                print(f"{task} (repeat {repeat}): {run.wall_s:.1f} s wall, first step {_fmt(run.first_step_s, '.1f')} s, "
                      f"{_fmt(run.data_wait_pct, '.0f')}% waiting for data, {run.metric} {_fmt(run.value, '.3f')}, "
                      f"load {run.load_before:.1f} -> {run.load_after:.1f}", flush=True)
    out = args.out or default_out_dir()
    out.mkdir(parents=True, exist_ok=True)
    table = markdown(sorted(runs, key=lambda r: (r.repeat, tasks.index(r.task))))
    (out / "demos.md").write_text(
        "# nnframe demos end to end\n\nWritten by `uv run python benchmarks/demos.py "
        + " ".join(argv if argv is not None else sys.argv[1:]) + "`.\n\n" + table, encoding="utf-8")
    with open(out / "demos.jsonl", "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(asdict(run)) + "\n" for run in runs)
    print(table)
    print(f"written: {out / 'demos.md'}")
    if any(run.returncode != 0 for run in runs):
        raise SystemExit(1)
    return runs


if __name__ == "__main__":
    main()
