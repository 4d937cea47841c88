"""The ``nnframe`` command: ``nnframe <task> <action> [hydra overrides]``.

``--help`` and ``list`` never import torch, so they answer at once.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from nnframe.core.errors import NnframeError
from nnframe.core.project_paths import (
    CONFIG_DIR_ENV,
    CONFIG_DIR_FLAGS,
    config_dir_from_flags,
    resolve_config_dir,
)
from nnframe.core.task_registry import config_groups, discover_tasks
from nnframe.core.task_spec import TaskSpec

MAIN_GROUPS = ("experiment", "model", "data")


def _usage(tasks: dict[str, TaskSpec]) -> str:
    lines = [
        "usage: nnframe <task> <action> [key=value ...] [hydra flags]",
        "       nnframe list [task] [--config-dir DIR]",
        "       nnframe runs <dir>          table of the runs of a sweep, best first",
        "       nnframe init <dir>          a starter project: your configs, datamodule and data",
        "",
        "Train, evaluate and predict with Hydra-configured Lightning models.",
        "",
        "tasks:",
    ]
    lines += [f"  {name:<8} {spec.summary}" for name, spec in tasks.items()] or [
        "  (none installed: install nnframe-cls, nnframe-seg or nnframe-ssl)"
    ]
    lines += [
        "",
        "examples:",
        "  nnframe cls train                          train on the embedded shapes dataset",
        "  nnframe cls train experiment=cifar10_resnet18 trainer.max_epochs=5",
        "  nnframe cls inspect data=image_folder data.root=/data/pets   check your images, see the augmented samples",
        "  nnframe cls train --cfg job                show the composed config, run nothing",
        "  nnframe cls eval ckpt_path=outputs/.../checkpoints/last.ckpt",
        "  nnframe cls train -m model.optimizer.lr=1e-3,1e-2   a sweep: one run per value",
        "  nnframe cls train --config-dir configs experiment=my_exp   your own configs (or NNFRAME_CONFIG_DIR)",
        "",
        "Run 'nnframe <task> --help' for a task's actions, 'nnframe list' for config options.",
    ]
    return "\n".join(lines)


def _task_usage(spec: TaskSpec) -> str:
    lines = [f"usage: nnframe {spec.name} <action> [key=value ...]", "", spec.summary, "", "actions:"]
    lines += [f"  {name:<9} {action.help}" for name, action in spec.actions.items()]
    lines += ["", f"Run 'nnframe {spec.name} <action> --help' for the config groups and their options."]
    return "\n".join(lines)


def _action_usage(spec: TaskSpec, action: str, config_dir: Path | None = None) -> str:
    lines = [
        f"usage: nnframe {spec.name} {action} [group=option ...] [key=value ...] [hydra flags]",
        "",
        spec.actions[action].help,
        "",
        "config groups (choose with group=option):",
    ]
    for group, options in config_groups(spec, config_dir).items():
        if group != "hydra":
            lines.append(f"  {group:<11} {', '.join(options)}")
    lines += [
        "",
        "hydra flags: --cfg job (print the config), -m/--multirun (sweep), --info, --hydra-help,",
        f"  --config-dir DIR (your own configs: DIR/data/*.yaml, ...; or {CONFIG_DIR_ENV}=DIR)",
    ]
    return "\n".join(lines)


def _list(tasks: dict[str, TaskSpec], only: str | None = None, config_dir: Path | None = None) -> str:
    lines: list[str] = []
    for name, spec in tasks.items():
        if only and name != only:
            continue
        lines += [f"{name}: {spec.summary}", f"  actions: {', '.join(spec.actions)}"]
        groups = config_groups(spec, config_dir)
        ordered = [g for g in MAIN_GROUPS if g in groups] + [g for g in groups if g not in MAIN_GROUPS]
        width = max((len(g) for g in ordered if g != "hydra"), default=0)
        for group in ordered:
            if group != "hydra":
                lines.append(f"  {group:<{width}}  {', '.join(groups[group])}")
        lines.append("")
    return "\n".join(lines).rstrip() or "no nnframe task is installed (pip install nnframe-cls, ...)"


def _fail(message: str) -> int:
    print(f"nnframe: error: {message}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``nnframe`` command; returns the process exit code."""
    # Idle OpenMP threads sleep instead of spinning (before torch loads OpenMP): on a shared, busy
    # machine spinning threads made the demos several times slower; passive keeps every core's
    # compute and was the fastest beside CPU-bound neighbours (benchmarks/threads.py, README).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        return _main(list(sys.argv[1:] if argv is None else argv))
    except BrokenPipeError:  # `nnframe list | head`: the reader left; no traceback (Python's documented recipe)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, as a shell reports it


def _main(argv: list[str]) -> int:
    tasks = discover_tasks()
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(_usage(tasks))
        return 0
    if argv[0] == "list":
        # Your own configs (--config-dir DIR or NNFRAME_CONFIG_DIR) are listed with the task's.
        try:
            config_dir = resolve_config_dir(config_dir_from_flags(argv[1:]))
        except NnframeError as error:
            return _fail(str(error))
        words = [arg for index, arg in enumerate(argv[1:], 1) if not arg.startswith("-")
                 and argv[index - 1] not in CONFIG_DIR_FLAGS]
        if words and words[0] not in tasks:
            return _fail(f"unknown task {words[0]!r}; installed tasks: {', '.join(tasks) or 'none'}")
        print(_list(tasks, words[0] if words else None, config_dir))
        return 0
    if argv[0] == "init":
        from nnframe.core.project_init import init_main

        return init_main(argv[1:])
    if argv[0] == "runs":
        from nnframe.core.sweeps.runs_table import runs_main  # reads files only, no torch

        return runs_main(argv[1:])
    task_name, rest = argv[0], argv[1:]
    if task_name not in tasks:
        return _fail(
            f"unknown task {task_name!r}; installed tasks: {', '.join(tasks) or 'none'} "
            "(a task appears once its package, e.g. nnframe-seg, is installed)"
        )
    spec = tasks[task_name]
    if not rest or rest[0] in ("-h", "--help"):
        print(_task_usage(spec))
        return 0
    action, overrides = rest[0], rest[1:]
    if action in spec.refused_actions:
        return _fail(f"nnframe {task_name} {action}: {spec.refused_actions[action]}")
    if action not in spec.actions:
        return _fail(f"unknown action {action!r} for task {task_name!r}; choose one of: {', '.join(spec.actions)}")
    if any(arg in ("-h", "--help") for arg in overrides):
        try:
            config_dir = resolve_config_dir(config_dir_from_flags(overrides))
        except NnframeError as error:
            return _fail(str(error))
        print(_action_usage(spec, action, config_dir))
        return 0
    from nnframe.core.hydra_app import run_action  # imports hydra, still not torch

    return run_action(spec, action, overrides)


if __name__ == "__main__":
    sys.exit(main())
