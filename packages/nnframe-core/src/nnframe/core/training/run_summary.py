"""What a run prints at its start and end: the config tree, the dataset summary, where files go."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import rich
import rich.syntax
import rich.table
import rich.tree
from lightning.pytorch.utilities import rank_zero_only
from omegaconf import DictConfig, OmegaConf

from nnframe.core.checkpointing.atomic_checkpoint_io import atomic_text_write

FIRST_FIELDS = ("data", "model", "callbacks", "logger", "trainer", "paths")


@rank_zero_only
def save_config(cfg: DictConfig, save_dir: str | Path) -> None:
    """Write the resolved config to ``<save_dir>/config.yaml`` (atomically)."""
    atomic_text_write(Path(save_dir) / "config.yaml", OmegaConf.to_yaml(cfg, resolve=True))


@rank_zero_only
def print_config_tree(cfg: DictConfig) -> None:
    """Print the composed config as a tree, main groups first."""
    tree = rich.tree.Tree("CONFIG", style="dim", guide_style="dim")
    order = [f for f in FIRST_FIELDS if f in cfg] + [f for f in cfg if f not in FIRST_FIELDS]
    for field in order:
        branch = tree.add(str(field), style="bold", guide_style="dim")
        node = cfg[field]
        text = OmegaConf.to_yaml(node, resolve=True) if isinstance(node, DictConfig) else str(node)
        branch.add(rich.syntax.Syntax(text, "yaml"))
    rich.print(tree)


@rank_zero_only
def print_data_summary(summary: dict[str, Any]) -> None:
    """Print split sizes, and class names with counts per split (as a table)."""
    splits = summary.get("splits", {})
    rich.print("[bold]data:[/bold] " + ", ".join(f"{split} {size}" for split, size in splits.items()))
    classes, counts = summary.get("classes", []), summary.get("counts", {})
    if classes:
        table = rich.table.Table("class", *counts.keys(), title=f"{len(classes)} classes", title_justify="left")
        for index, name in enumerate(classes[:50]):
            table.add_row(f"{index}: {name}", *(str(c[index]) for c in counts.values()))
        if len(classes) > 50:
            table.add_row(f"... {len(classes) - 50} more", *("" for _ in counts))
        rich.print(table)
    for title, rows in summary.get("extra", {}).items():
        table = rich.table.Table(*rows.get("columns", ("", "value")), title=title, title_justify="left")
        for row in rows.get("rows", []):
            table.add_row(*(str(v) for v in row))
        rich.print(table)


def apply_extras(cfg: DictConfig) -> None:
    """Start-of-run utilities: save ``config.yaml`` in the run dir; the rest by ``cfg.extras``."""
    extras = cfg.get("extras") or {}
    if extras.get("ignore_warnings"):
        warnings.filterwarnings("ignore")
    if extras.get("print_config"):
        print_config_tree(cfg)
    save_config(cfg, cfg.paths.output_dir)


@rank_zero_only
def print_metrics(title: str, metrics: dict[str, float]) -> None:
    """Print metrics as a two-column table."""
    table = rich.table.Table("metric", "value", title=title, title_justify="left")
    for name, value in sorted(metrics.items()):
        table.add_row(name, f"{value:.4f}")
    rich.print(table)
