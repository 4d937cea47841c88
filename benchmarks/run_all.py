"""Run the bench suite of every installed nnframe task and write one results table per device.

    uv run python benchmarks/run_all.py                                # configs/bench/cpu_tiny.yaml
    uv run python benchmarks/run_all.py --matrix configs/bench/gpu.yaml
    uv run python benchmarks/run_all.py --tasks cls,seg bench.repeats=3   # extra overrides for every task

Writes ``benchmarks/results/<device>/<task>.jsonl`` (one record per backbone, precision and
switch), ``<task>.md`` and the combined ``README.md``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent


def load_matrix(path: Path) -> dict[str, list[str]]:
    """``{task: [overrides]}`` from a matrix YAML (``tasks:`` mapping)."""
    matrix = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(task): [str(o) for o in overrides or []] for task, overrides in (matrix.get("tasks") or {}).items()}


def task_records(out_dir: Path, task_names: Iterable[str]) -> list[dict[str, Any]]:
    """The bench records of every task in ``out_dir`` (``<task>.jsonl``, tasks in name order); the
    folder's other files (``demos.jsonl`` from ``demos.py``) hold no bench records."""
    paths = [out_dir / f"{name}.jsonl" for name in sorted(task_names)]
    return [json.loads(line) for path in paths if path.is_file()
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def run_all(matrix: dict[str, list[str]], extra: list[str], results_root: Path,
            only: list[str] | None = None) -> dict[str, list[dict[str, Any]]]:
    """Run each installed task of ``matrix``; returns the records per task."""
    from nnframe.core.benchmark import (
        device_slug,
        markdown_table,
        resolve_device,
        run_benchmark,
        write_results,
    )
    from nnframe.core.task_registry import discover_tasks
    from nnframe.core.testing import compose_task_config

    tasks = discover_tasks()
    results: dict[str, list[dict[str, Any]]] = {}
    out_dir: Path | None = None
    for name, overrides in matrix.items():
        if only and name not in only:
            continue
        if name not in tasks:
            print(f"skipping {name}: its package is not installed")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            cfg = compose_task_config(tasks[name].config_package, [*overrides, *extra, "bench.output_dir=null"],
                                      output_dir=tmp, action="bench")
            out_dir = results_root / device_slug(resolve_device(str(cfg.bench.get("device", "auto"))))
            print(f"== {name}: {' '.join([*overrides, *extra])}", flush=True)
            results[name] = run_benchmark(cfg)
        write_results(results[name], out_dir, title=f"nnframe {name} bench", stem=name)
    if out_dir is not None:
        # Every task's records in this device's folder, so that `--tasks` refreshes some rows only.
        combined = task_records(out_dir, tasks)
        (out_dir / "README.md").write_text(
            "# nnframe benchmarks\n\nWritten by `benchmarks/run_all.py`; one JSON record per row in "
            "`<task>.jsonl`.\n\n" + markdown_table(combined), encoding="utf-8")
        print(f"results: {out_dir}")
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--matrix", type=Path, default=ROOT / "configs" / "bench" / "cpu_tiny.yaml")
    parser.add_argument("--tasks", default="", help="comma-separated: only these tasks of the matrix")
    parser.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides added to every task's bench run")
    args = parser.parse_args(argv)
    run_all(load_matrix(args.matrix), args.overrides, args.results, [t for t in args.tasks.split(",") if t])


if __name__ == "__main__":
    main()
