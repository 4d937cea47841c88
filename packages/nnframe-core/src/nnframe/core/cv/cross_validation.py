"""``cv.folds=N``: one training per fold, each a run of its own, then mean +- std over the folds."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lightning.pytorch.utilities import rank_zero_info
from omegaconf import DictConfig, OmegaConf, open_dict

from nnframe.core.training.run_lifecycle import global_rank, record_run

SUMMARY_FILE = "cv.json"


def fold_dir(output_dir: str | Path, fold: int) -> Path:
    """The run folder of fold ``fold`` inside the cross-validation's run folder."""
    return Path(output_dir) / f"fold_{fold}"


def fold_config(cfg: DictConfig, fold: int) -> DictConfig:
    """``cfg`` for fold ``fold``: ``cv.fold`` set and every output in the fold's own folder."""
    folded = OmegaConf.create(OmegaConf.to_container(cfg, resolve=False))
    with open_dict(folded):
        folded.cv.fold = fold
        # A concrete path instead of Hydra's runtime dir: the logger, checkpoints, run.json and
        # the saved config of the fold follow it (they are interpolations of paths.output_dir).
        folded.paths.output_dir = str(fold_dir(cfg.paths.output_dir, fold))
        if fold > 0 and folded.get("extras"):
            folded.extras.print_config = False  # the same tree as fold 0's
    return folded


def _completed_metrics(output_dir: Path) -> dict[str, float] | None:
    """The metrics of a fold whose run completed (a resumed cross-validation skips it), else None."""
    record = output_dir / "run.json"
    try:
        data = json.loads(record.read_text())
    except (OSError, ValueError):
        return None
    return {k: float(v) for k, v in data.get("metrics", {}).items()} if data.get("status") == "completed" else None


def summarize(fold_metrics: list[dict[str, float]]) -> dict[str, dict[str, Any]]:
    """Mean and sample standard deviation (n - 1) over the folds of every metric all folds logged.

    Returns:
        ``{metric: {"mean": m, "std": s, "folds": [value per fold]}}``.
    """
    names = set.intersection(*(set(m) for m in fold_metrics)) if fold_metrics else set()
    summary: dict[str, dict[str, Any]] = {}
    for name in sorted(names):
        values = [m[name] for m in fold_metrics]
        mean = sum(values) / len(values)
        std = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1)) if len(values) > 1 else 0.0
        summary[name] = {"mean": mean, "std": std, "folds": values}
    return summary


def _reported(summary: dict[str, dict[str, Any]], monitor: str | None) -> list[str]:
    """The metrics of the summary table: the monitored one and its best, then the test metrics
    (overall values, not per class)."""
    first = [m for m in (monitor, f"{monitor}_best") if m and m in summary]
    tests = [m for m in summary if m.startswith("test/") and m.count("/") == 1]
    return first + [m for m in tests if m not in first]


def format_summary(summary: dict[str, dict[str, Any]], monitor: str | None) -> str:
    """The terminal (and TensorBoard text) table: ``metric  mean +- std  (fold values)``."""
    rows = _reported(summary, monitor)
    width = max((len(r) for r in rows), default=6)
    lines = [f"{'metric':<{width}}  mean +- std        folds"]
    for name in rows:
        entry = summary[name]
        folds = ", ".join(f"{v:.4f}" for v in entry["folds"])
        lines.append(f"{name:<{width}}  {entry['mean']:.4f} +- {entry['std']:.4f}  {folds}")
    return "\n".join(lines)


def _write_tensorboard_text(output_dir: Path, table: str) -> None:
    """The summary as a TensorBoard text entry of the cross-validation's own run (beside the
    folds' runs in the same log dir)."""
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(output_dir / "summary"))
    try:
        writer.add_text("cross_validation", "```\n" + table + "\n```")
    finally:
        writer.close()


def run_cross_validation(cfg: DictConfig, train_fold: Callable[[DictConfig], dict[str, float]]) -> dict[str, float]:
    """Train every fold of ``cfg.cv.folds`` in turn (``train_fold`` on :func:`fold_config`), then
    print, record and return the mean and std of the metrics over the folds.

    Each fold is a normal run in ``<run dir>/fold_<k>`` (checkpoints, TensorBoard run, run.json);
    with ``resume=true`` a completed fold is read back instead of trained again, and a stopped one
    continues from its ``last.ckpt``.

    Returns:
        ``{metric: mean}`` plus ``{metric}_std`` for every metric every fold logged.
    """
    folds = int(cfg.cv.folds)
    output_dir = Path(cfg.paths.output_dir)
    fold_metrics: list[dict[str, float]] = []
    for fold in range(folds):
        done = _completed_metrics(fold_dir(output_dir, fold)) if cfg.get("resume") else None
        if done is not None:
            rank_zero_info(f"cross-validation fold {fold} of {folds}: completed in {fold_dir(output_dir, fold)}, "
                           "not trained again")
            fold_metrics.append(done)
            continue
        rank_zero_info(f"\ncross-validation: training fold {fold} of {folds} in {fold_dir(output_dir, fold)}")
        folded = fold_config(cfg, fold)
        metrics = train_fold(folded)
        if global_rank() == 0:
            record_run(folded.paths.output_dir, "completed", metrics, action=cfg.get("action"),
                       optimized_metric=cfg.get("optimized_metric"), monitor_mode=cfg.get("monitor_mode"))
        fold_metrics.append(metrics)
    summary = summarize(fold_metrics)
    table = format_summary(summary, cfg.get("monitor"))
    rank_zero_info(f"\ncross-validation, {folds} folds:\n{table}")
    if global_rank() == 0:
        (output_dir / SUMMARY_FILE).write_text(json.dumps({"folds": folds, "metrics": summary}, indent=2) + "\n")
        _write_tensorboard_text(output_dir, table)
    rank_zero_info(f"run directory: {output_dir.absolute()} (folds in fold_0 ... fold_{folds - 1}, summary in {SUMMARY_FILE})")
    means = {name: entry["mean"] for name, entry in summary.items()}
    return {**means, **{f"{name}_std": entry["std"] for name, entry in summary.items()}}
