"""What a run prints at its start and end: the config tree, the dataset summary, where files go."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import rich
import rich.console
import rich.syntax
import rich.table
import rich.text
import rich.tree
import yaml
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
def _target_first(node: Any) -> Any:
    """The same config with every ``_target_`` first: what an entry builds is its first line."""
    if isinstance(node, dict):
        ordered = {k: node[k] for k in ("_target_",) if k in node}
        ordered.update({k: _target_first(v) for k, v in node.items() if k != "_target_"})
        return ordered
    if isinstance(node, list):
        return [_target_first(v) for v in node]
    return node


def _one_line(node: Any) -> Any:
    """``{"_target_": "a.B", "x": 1}`` as ``"a.B(x=1)"``."""
    if not isinstance(node, dict) or "_target_" not in node:
        return node
    args = ", ".join(f"{k}={v}" for k, v in node.items() if k != "_target_")
    return f"{node['_target_']}({args})"


@rank_zero_only
def print_config_tree(cfg: DictConfig, action: str | None = None) -> None:
    """Print the config ``action`` uses as a tree (see :func:`config_tree_fields`); scalars on
    one line each. Rank 0 only: a DDP worker that Lightning starts runs the command again, with
    Hydra's config groups of its own relaunch (every one "null")."""
    console = _console()
    tree = rich.tree.Tree("CONFIG", style="dim", guide_style="dim")
    for field in config_tree_fields(cfg, action):
        node = cfg[field]
        if not isinstance(node, DictConfig | ListConfig):
            tree.add(f"[bold]{field}[/bold]: {node}")
            continue
        branch = tree.add(str(field), style="bold", guide_style="dim")
        container = _target_first(OmegaConf.to_container(node, resolve=True))
        if field == "callbacks" and isinstance(container, dict):  # one line per callback, not ~60
            container = {name: _one_line(value) for name, value in container.items()}
        text = yaml.safe_dump(container, sort_keys=False, width=10_000).rstrip()
        branch.add(rich.syntax.Syntax(text, "yaml", background_color="default") if console.is_terminal
                   else rich.text.Text(text))
    console.print(tree, crop=False)


def _size_cell(value: tuple[int, int]) -> str:
    return f"{value[0]}x{value[1]}"


def _images_table(report: Any) -> rich.table.Table | None:
    """Images per split: count, sizes (min/median/max, width x height), modes, left out, ignored."""
    if report is None or not report.splits:
        return None
    table = rich.table.Table("split", "samples", "size min", "median", "max", "modes", "left out", "ignored",
                             title="images", title_justify="left")
    for split, stats in report.splits.items():
        sizes = stats.size_range()
        cells = [_size_cell(sizes[k]) for k in ("min", "median", "max")] if sizes else ["-", "-", "-"]
        modes = ", ".join(f"{mode} {count}" for mode, count in stats.modes.most_common()) or "-"
        table.add_row(split, str(stats.samples), *cells, modes, str(len(stats.excluded)), str(len(stats.ignored)))
    return table


@rank_zero_only
def print_data_summary(summary: dict[str, Any]) -> None:
    """Print split sizes, image sizes and modes per split, class names with counts per split (as
    tables), what the data check resolved, left out or noted."""
    splits = summary.get("splits", {})
    rich.print("[bold]data:[/bold] " + ", ".join(f"{split} {size}" for split, size in splits.items()))
    report = summary.get("report")
    images = _images_table(report)
    if images is not None:
        rich.print(images)
    classes, counts = summary.get("classes", []), summary.get("counts", {})
    if classes:
        table = rich.table.Table("class", *counts.keys(), title=f"{len(classes)} classes", title_justify="left")
        for index, name in enumerate(classes[:50]):
            table.add_row(f"{index}: {name}", *(str(c[index]) for c in counts.values()))
        if len(classes) > 50:
            table.add_row(f"... {len(classes) - 50} more", *("" for _ in counts))
        rich.print(table)
    extra = dict(summary.get("extra", {}))
    if report is not None:
        extra.update(report.tables)
    for title, rows in extra.items():
        table = rich.table.Table(*rows.get("columns", ("", "value")), title=title, title_justify="left")
        for row in rows.get("rows", []):
            table.add_row(*(str(v) for v in row))
        rich.print(table)
    if report is not None:
        console = rich.get_console()  # soft_wrap: one line each, whole in logs and for grep
        if report.files_checked:
            console.print(f"data check: {report.files_checked} files identified in {report.seconds:.1f} s "
                          f"({report.files_cached} from the cache)", soft_wrap=True)
        for line in report.resolved:
            console.print(f"[bold]resolved:[/bold] {line}", soft_wrap=True)
        for note in report.notes:
            console.print(f"[yellow]note:[/yellow] {note}", soft_wrap=True)


def data_counts_line(report: Any) -> str | None:
    """``left out N unusable files ...; ignored M files ...`` or None when there are none."""
    if report is None:
        return None
    parts = []
    if report.excluded_count:
        parts.append(f"left out {report.excluded_count} unusable file(s) (data.skip_corrupt=true)")
    if report.ignored_count:
        parts.append(f"ignored {report.ignored_count} file(s) that are not data (other extensions, "
                     "macOS/Windows metadata)")
    return "; ".join(parts) or None


@rank_zero_only
def report_data_counts(report: Any, output_dir: str | Path | None) -> None:
    """Say what the data check left out or ignored, whatever the summary and warning settings,
    and list every such file in ``<output_dir>/data_check.txt``."""
    line = data_counts_line(report)
    if line is None:
        return
    where = ""
    if output_dir is not None:
        where = f": every one listed in {report.write(Path(output_dir) / 'data_check.txt')}"
    rich.get_console().print(f"[bold yellow]data:[/bold yellow] {line}{where}", soft_wrap=True)


def apply_extras(cfg: DictConfig) -> None:
    """Start-of-run utilities: save ``config.yaml`` in the run dir; the rest by ``cfg.extras``.

    Actions that run a checkpoint call it once the checkpoint's model and data configs are in
    ``cfg``. The config tree is printed later, by :func:`print_start_config`.
    """
    from nnframe.core.hydra_app import quiet_library_noise

    extras = cfg.get("extras") or {}
    quiet_library_noise(cfg)  # the Python API and the demos too: no Lightning tips
    if extras.get("flush_denormal"):
        import torch

        # CPU float ops on denormal numbers (tiny values, common late in training) run many times
        # slower: the seg demo's steps slowed from 18 to 26 ms over 4 epochs without this. x86 only.
        torch.set_flush_denormal(True)
    # The tree itself waits for a successful start (print_start_config): a command that fails on
    # its config or data prints its one-line error, not ~130 lines of tree above it.
    if extras.get("print_config"):
        _TREES_PENDING.add(_tree_key(cfg))
    save_config(cfg, cfg.paths.output_dir)


_TREES_PENDING: set[str] = set()  # runs that asked for the tree (apply_extras), not printed yet


def _tree_key(cfg: DictConfig) -> str:
    return str((cfg.get("paths") or {}).get("output_dir"))


def _later_sweep_job() -> bool:
    """Whether this is a job after the first of a ``-m`` sweep (its tree differs only by the
    swept values, which its run directory's name and ``config.yaml`` hold)."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    if not HydraConfig.initialized():
        return False
    hydra_cfg = HydraConfig.get()
    return hydra_cfg.mode == RunMode.MULTIRUN and int(hydra_cfg.job.get("num") or 0) > 0


@rank_zero_only
def print_start_config(cfg: DictConfig) -> None:
    """Print the config tree that :func:`apply_extras` was asked for (``extras.print_config=true``)
    once the run has started well: after its data check, or once its checkpoint is read; once. A
    sweep's later jobs print one line pointing at their ``config.yaml`` instead."""
    key = _tree_key(cfg)
    if key not in _TREES_PENDING:
        return
    _TREES_PENDING.discard(key)
    if _later_sweep_job():
        _console().print(rich.text.Text(f"config: {Path(key) / 'config.yaml'} (the sweep's first job printed "
                                        "the tree)"), crop=False, soft_wrap=True)
        return
    print_config_tree(cfg)


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


@rank_zero_only
def print_run_directory(cfg: Any, loggers: Any = ()) -> None:
    """``run directory: <dir>`` and, with a TensorBoard logger among ``loggers``, the command
    that shows its logs: the last lines of every action that writes a run directory. Absolute
    paths: the user copies them into the next command, from any folder."""
    from lightning.pytorch.loggers import TensorBoardLogger
    from lightning.pytorch.utilities import rank_zero_info

    from nnframe.core.loggers.tensorboard_command import tensorboard_command
    from nnframe.core.training.run_info import tensorboard_log_root

    output_dir = Path(cfg.paths.output_dir).absolute()
    rank_zero_info(f"run directory: {output_dir}")
    if any(isinstance(logger, TensorBoardLogger) for logger in loggers or ()):
        # Where the HPARAMS experiment summary is: opened on another folder, HPARAMS misses it.
        rank_zero_info(f"tensorboard:   {tensorboard_command(tensorboard_log_root(cfg) or output_dir)}")
