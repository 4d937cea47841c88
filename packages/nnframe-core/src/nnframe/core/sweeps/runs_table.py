"""``nnframe runs <dir>``: one line per run under a directory, best first.

A run is a directory holding ``.hydra/overrides.yaml`` (every ``nnframe`` run writes it); its
hyperparameters are its command-line overrides, its status and final metrics come from
``run.json`` (no record: still running, or killed). Runs that saved nothing (no record, no
checkpoint: killed before their first checkpoint) are counted, not listed.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from nnframe.core.sweeps.overrides import hparam_overrides
from nnframe.core.sweeps.run_record import read_run_record

_STATUS_ORDER = {"completed": 0, "interrupted": 1, "failed": 2, "incomplete": 3}


@dataclass
class RunRow:
    """One run of a sweep.

    Args:
        path: the run directory.
        status: ``completed``, ``interrupted``, ``failed`` or ``incomplete`` (no ``run.json``).
        params: hyperparameter overrides, key -> value as typed.
        metrics: final metrics (None: not finite).
        optimized_metric: the metric the sweep ranks runs by.
        mode: ``max`` or ``min``.
        error: why a failed run failed.
    """

    path: Path
    status: str
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float | None] = field(default_factory=dict)
    optimized_metric: str | None = None
    mode: str = "max"
    error: str | None = None

    @property
    def score(self) -> float | None:
        """The optimized metric, or None when missing or not finite."""
        value = self.metrics.get(self.optimized_metric or "")
        return value if value is not None and math.isfinite(value) else None


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError):
        return None


def _optimized_metric(config: dict[str, Any]) -> str | None:
    """``optimized_metric`` from the saved (unresolved) config; follows ``${monitor}``."""
    value = config.get("optimized_metric")
    if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
        value = config.get(value[2:-1])
    return value if isinstance(value, str) and "${" not in value else None


def _read_run(run_dir: Path) -> RunRow:
    params = hparam_overrides(_read_yaml(run_dir / ".hydra" / "overrides.yaml") or [])
    config = _read_yaml(run_dir / ".hydra" / "config.yaml") or {}
    record = read_run_record(run_dir) or {}
    return RunRow(
        path=run_dir,
        status=record.get("status", "incomplete"),
        params=params,
        metrics=record.get("metrics") or {},
        optimized_metric=record.get("optimized_metric") or _optimized_metric(config),
        mode=record.get("monitor_mode") or config.get("monitor_mode") or "max",
        error=record.get("error"),
    )


def _saved_nothing(row: RunRow) -> bool:
    """A run without a record nor a checkpoint: killed before its first checkpoint (or still
    before it): nothing in it to compare or continue."""
    return row.status == "incomplete" and not any((row.path / "checkpoints").glob("*.ckpt"))


def collect_runs(directory: str | Path, include_empty: bool = False) -> list[RunRow]:
    """Every run under ``directory`` (a sweep directory, or any folder of runs), best first.

    Completed runs are sorted by their optimized metric (descending for ``max``), then come
    runs without that metric, failed runs and incomplete runs.

    Args:
        directory: the folder to search.
        include_empty: also the runs that saved nothing yet (no ``run.json``, no checkpoint).
    """
    root = Path(directory)
    run_dirs = sorted({p.parent.parent for p in root.rglob(".hydra/overrides.yaml")})
    rows = [_read_run(d) for d in run_dirs]
    if not include_empty:
        rows = [row for row in rows if not _saved_nothing(row)]

    def key(row: RunRow) -> tuple[int, int, float]:
        score = row.score
        signed = -score if score is not None and row.mode == "max" else (score or 0.0)
        return (_STATUS_ORDER.get(row.status, 4), 0 if score is not None else 1, signed)

    return sorted(rows, key=key)


def _metric_columns(rows: list[RunRow], show_all: bool) -> list[str]:
    names = sorted({name for row in rows for name in row.metrics})
    optimized = next((row.optimized_metric for row in rows if row.optimized_metric), None)
    if show_all:
        return ([optimized] if optimized else []) + [n for n in names if n != optimized]
    columns = [optimized] if optimized else []
    if optimized and "/" in optimized:
        columns.append("test/" + optimized.split("/", 1)[1])
    columns += ["val/loss", "train/loss_epoch" if "train/loss_epoch" in names else "train/loss"]
    picked = [c for c in dict.fromkeys(columns) if c in names]
    return picked[:4]


def _format_value(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def format_runs_table(rows: list[RunRow], root: str | Path | None = None, show_all: bool = False) -> str:
    """A plain-text table: rank, run, status, the hyperparameters that differ, metrics.

    Args:
        rows: runs as :func:`collect_runs` returns them.
        root: run paths are shown relative to it.
        show_all: every metric and every override, not only the main ones.
    """
    if not rows:
        return "no runs"
    keys = list(dict.fromkeys(k for row in rows for k in row.params))
    if not show_all and len(rows) > 1:  # a key with one value in every run is not a hyperparameter here
        keys = [k for k in keys if len({row.params.get(k) for row in rows}) > 1] or keys
    metrics = _metric_columns(rows, show_all)
    header = ["#", "run", "status", *keys, *metrics]
    table = []
    for rank, row in enumerate(rows, start=1):
        name = str(row.path.relative_to(root)) if root and row.path.is_relative_to(root) else str(row.path)
        table.append([str(rank), name or ".", row.status, *(row.params.get(k, "-") for k in keys),
                      *(_format_value(row.metrics.get(m)) for m in metrics)])
    widths = [max(len(line[i]) for line in [header, *table]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
             for line in [header, *table]]
    lines.insert(1, "  ".join("-" * width for width in widths))
    best = rows[0]
    if best.score is not None:
        lines += ["", f"best ({best.mode} {best.optimized_metric}): {best.path}"]
        lines.append("  overrides: " + " ".join(f"{k}={v}" for k, v in best.params.items()))
    failed = [row for row in rows if row.status == "failed" and row.error]
    lines += [f"failed: {row.path.name}: {row.error}" for row in failed]
    return "\n".join(lines)


def runs_main(argv: list[str]) -> int:
    """``nnframe runs <dir> [--all]``; returns the exit code."""
    args = [a for a in argv if a != "--all"]
    if len(args) != 1 or args[0] in ("-h", "--help"):
        print("usage: nnframe runs <dir> [--all]\n\n"
              "Table of the runs under <dir> (a sweep directory such as\n"
              "outputs/cls/train/shapes/multirun_<time>, or any folder of runs), best first:\n"
              "their overrides, status and final metrics. --all: every metric and override.")
        return 0 if args and args[0] in ("-h", "--help") else 2
    root = Path(args[0])
    if not root.is_dir():
        print(f"nnframe: error: {root} is not a directory (give a sweep directory, e.g. "
              "outputs/cls/train/shapes/multirun_<time>)", file=sys.stderr)
        return 2
    everything = collect_runs(root, include_empty=True)
    rows = [row for row in everything if not _saved_nothing(row)]
    empty = len(everything) - len(rows)
    unlisted = (f"{empty} started run{'s' * (empty != 1)} that saved nothing yet (no run.json, no checkpoint: "
                "stopped before its first checkpoint, or still starting) not listed")
    if not rows:
        print(f"nnframe: error: no runs under {root} (a run directory holds .hydra/overrides.yaml)"
              + (f"; {unlisted}" if empty else ""), file=sys.stderr)
        return 2
    print(format_runs_table(rows, root, show_all="--all" in argv))
    if empty:
        print(unlisted)
    return 0
