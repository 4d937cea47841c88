"""Reading a run's logged values back, for notebooks and scripts: curves from its TensorBoard files."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from matplotlib.figure import Figure


def read_scalars(run_dir: str | Path) -> dict[str, list[tuple[int, float]]]:
    """Every scalar a run logged to TensorBoard, as ``tag -> [(step, value), ...]`` sorted by step.

    Reads each folder of event files under ``run_dir`` (the run's, and the ``test`` sub-run of a
    run of an earlier version), with the metric names the run logged (as in ``run.json``):
    TensorBoard's display names are undone (``val_per_class/iou/cat`` is ``val/iou/cat``,
    ``val/acc_test`` is ``test/acc``, ``train/lr-AdamW`` is ``lr-AdamW``). A step logged twice (a resumed run that
    replayed it) keeps its last value.

    Args:
        run_dir: a run directory (``paths.output_dir``), or any folder holding event files.

    Returns:
        e.g. ``{"val/acc": [(62, 0.41), (124, 0.58)], "train/loss_step": [...], ...}``.
    """
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from nnframe.core.loggers.tensorboard_run_logger import TEST_RUN, TensorBoardRunLogger

    run_dir = Path(run_dir)
    folders = sorted({path.parent for path in run_dir.rglob("events.out.tfevents.*")})
    if not folders:
        raise FileNotFoundError(f"no TensorBoard event files under {run_dir} (logger=tensorboard writes them)")
    values: dict[str, dict[int, float]] = {}
    for folder in folders:
        events = EventAccumulator(str(folder), size_guidance={"scalars": 0}).Reload()
        sub_run = TEST_RUN if folder.name == TEST_RUN and folder != run_dir else None
        for tag in events.Tags()["scalars"]:
            steps = values.setdefault(TensorBoardRunLogger.logged_name(tag, sub_run), {})
            for event in sorted(events.Scalars(tag), key=lambda e: e.wall_time):
                steps[event.step] = event.value
    return {tag: sorted(steps.items()) for tag, steps in sorted(values.items())}


def curves_figure(scalars: dict[str, list[tuple[int, float]]], panels: Sequence[Sequence[str]],
                  titles: Sequence[str] | None = None) -> Figure:
    """Curves of logged scalars against the training step, one panel per group of tags.

    Args:
        scalars: what :func:`read_scalars` returns.
        panels: the tags of each panel, e.g. ``[["train/loss_epoch", "val/loss"], ["val/acc"]]``;
            tags that were not logged are left out (and said so in the legend's place).
        titles: a title per panel (default: the tags).
    """
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.2), squeeze=False)
    for index, (axis, tags) in enumerate(zip(axes[0], panels, strict=True)):
        shown = [tag for tag in tags if scalars.get(tag)]
        for tag in shown:
            steps, points = zip(*scalars[tag], strict=True)
            axis.plot(steps, points, marker="o" if len(points) < 30 else None, markersize=3, label=tag)
        missing = [tag for tag in tags if tag not in shown]
        if missing:
            axis.text(0.5, 0.02, f"not logged: {', '.join(missing)}", transform=axis.transAxes, ha="center",
                      fontsize=7, color="grey")
        axis.set_xlabel("step")
        axis.set_title(titles[index] if titles else ", ".join(tags), fontsize=9)
        if shown:
            axis.legend(fontsize=7)
        axis.grid(alpha=0.3)
    figure.tight_layout()
    return figure
