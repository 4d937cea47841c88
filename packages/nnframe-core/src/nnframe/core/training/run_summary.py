"""What a run prints at its start and end: the config tree, the dataset summary, where files go."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import rich
import rich.console
import rich.syntax
import rich.table
import rich.text
import rich.tree
from lightning.pytorch.utilities import rank_zero_only
from omegaconf import DictConfig, ListConfig, OmegaConf

from nnframe.core.checkpointing.atomic_checkpoint_io import atomic_text_write

FIRST_FIELDS = ("data", "model", "callbacks", "logger", "trainer", "paths")
# Nodes that only the action of that name reads: shown for that action only.
ACTION_NODES = ("tune", "export", "bench", "predict", "linear", "inspect")
HIDDEN_NODES = ("extras", "run_name_groups")
# Actions that run a checkpoint use only these nodes (and the plain values); train, tune and
# any other action show every node but the other actions' ones.
ACTION_USES = {
    "eval": ("data", "model", "logger", "trainer", "paths"),
    "predict": ("data", "model", "predict", "trainer", "paths"),
    "export": ("data", "model", "export", "paths"),
    "linear": ("data", "model", "linear", "paths"),
}


def _console() -> rich.console.Console:
    """Rich's console; when the output is not a terminal (a log file, CI), lines are not cut or
    wrapped at 80 columns."""
    console = rich.get_console()
    if console.is_terminal:
        return console
    return rich.console.Console(file=console.file, width=100_000, color_system=None)


@rank_zero_only
def save_config(cfg: DictConfig, save_dir: str | Path) -> None:
    """Write the resolved config to ``<save_dir>/config.yaml`` (atomically)."""
    atomic_text_write(Path(save_dir) / "config.yaml", OmegaConf.to_yaml(cfg, resolve=True))


def config_tree_fields(cfg: DictConfig, action: str | None = None) -> list[str]:
    """The top-level nodes the start-up tree shows for ``action``: what that action uses (not the
    ``tune``/``export``/``bench`` blocks on a train run), main groups first."""
    action = action or cfg.get("action")
    hidden = set(HIDDEN_NODES) | set((cfg.get("extras") or {}).get("print_config_hide") or [])
    fields = [f for f in FIRST_FIELDS if f in cfg] + [str(f) for f in cfg if f not in FIRST_FIELDS]
    uses = ACTION_USES.get(str(action))
    return [f for f in fields if f not in hidden and (f not in ACTION_NODES or f == action)
            and (uses is None or f in uses or not isinstance(cfg[f], DictConfig | ListConfig))]


@rank_zero_only
def print_config_tree(cfg: DictConfig, action: str | None = None) -> None:
    """Print the config ``action`` uses as a tree (see :func:`config_tree_fields`); scalars on
    one line each."""
    console = _console()
    tree = rich.tree.Tree("CONFIG", style="dim", guide_style="dim")
    for field in config_tree_fields(cfg, action):
        node = cfg[field]
        if not isinstance(node, DictConfig | ListConfig):
            tree.add(f"[bold]{field}[/bold]: {node}")
            continue
        branch = tree.add(str(field), style="bold", guide_style="dim")
        text = OmegaConf.to_yaml(node, resolve=True).rstrip()
        branch.add(rich.syntax.Syntax(text, "yaml", background_color="default") if console.is_terminal
                   else rich.text.Text(text))
    console.print(tree, crop=False)


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
    """Start-of-run utilities: save ``config.yaml`` in the run dir; the rest by ``cfg.extras``.

    Actions that run a checkpoint call it once the checkpoint's model and data configs are in
    ``cfg``, so the tree shows what they use.
    """
    extras = cfg.get("extras") or {}
    if extras.get("ignore_warnings"):
        warnings.filterwarnings("ignore")
    if extras.get("print_config"):
        print_config_tree(cfg)
    save_config(cfg, cfg.paths.output_dir)


@rank_zero_only
def print_metrics(title: str, metrics: dict[str, float]) -> None:
    """Print ``title`` (on its own line: a path in it is not wrapped to the table's width) and the
    metrics as a two-column table."""
    table = rich.table.Table("metric", "value")
    for name, value in sorted(metrics.items()):
        table.add_row(name, f"{value:.4f}")
    console = _console()
    console.print(rich.text.Text(title), crop=False)
    console.print(table)
