"""Lightning's TensorBoard logger, with the tags arranged for what a user reads first."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from lightning.pytorch.loggers import TensorBoardLogger
from lightning.pytorch.utilities import rank_zero_only

#: The sub-run that held the test metrics in runs of earlier versions (``<log_dir>/test``):
#: read back by :func:`nnframe.core.run_logs.read_scalars`, no longer written.
TEST_RUN = "test"
#: Keys LearningRateMonitor logs (``lr-AdamW``, ``momentum-SGD``, ...): training curves.
_OPTIMIZER_KEYS = ("lr-", "momentum-", "weight_decay-")
PER_CLASS_CATEGORY = "per class"
#: Per-class values (``val/iou/<class>``) are drawn in a group of their own,
#: ``val_per_class/iou/<class>``: TensorBoard sorts the groups by name and expands only the first
#: two, which must be ``train`` and ``val``. The training values' group must sort after ``val``
#: too, hence the ``z_`` of ``z_train_per_class``.
PER_CLASS = "_per_class"
_STAGE_GROUPS = {"train": "z_train"}
#: Test values are validation cards' neighbours: ``test/acc`` is ``val/acc_test``.
TEST_SUFFIX = "_test"
#: What Lightning's ``ThroughputMonitor`` logs after ``<stage>/`` (its ``Throughput.compute``):
#: drawn as ``<stage>/throughput_<key>`` (``device/`` as ``device_``), one card each in the
#: stage's group; not a per-class chart, nor the ``train/samples`` figure's name.
THROUGHPUT_KEYS = ("time", "batches", "samples", "lengths", "batches_per_sec", "samples_per_sec", "items_per_sec",
                   "flops_per_sec", "device/batches_per_sec", "device/samples_per_sec", "device/items_per_sec",
                   "device/flops_per_sec", "device/mfu")
THROUGHPUT_PREFIX = "throughput_"


def _is_throughput(name: str) -> bool:
    return name.partition("/")[2] in THROUGHPUT_KEYS


class TensorBoardRunLogger(TensorBoardLogger):
    """``TensorBoardLogger`` whose Time Series opens on the training and validation curves.

    TensorBoard sorts tag groups by name and expands the first two, so what this logger writes
    is arranged for that:

    - no ``epoch`` scalar (Lightning adds one to every call; the x axis is the step);
    - the learning rate under ``train/`` (LearningRateMonitor's ``lr-AdamW`` becomes
      ``train/lr-AdamW``);
    - test metrics in the run itself, in the validation group: ``test/acc`` is
      ``val/acc_test``, the card after ``val/acc`` (a ``test/`` group would sort before
      ``train/``, and a ``test`` sub-run per run doubles the run list);
    - Lightning's ``ThroughputMonitor`` values as ``<stage>/throughput_<key>``
      (``train/device/samples_per_sec`` is ``train/throughput_device_samples_per_sec``);
    - per-class metrics (``val/iou/<class>``) as ``val_per_class/iou/<class>`` (the training
      ones as ``z_train_per_class/...``): groups after ``train`` and ``val``, so the validation
      curves are on the first screen; also in one multi-line chart per metric on the CUSTOM
      SCALARS tab (category ``per class``), whose title lists the classes.

    Args:
        *args, **kwargs: as :class:`lightning.pytorch.loggers.TensorBoardLogger`.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._per_class_charts: dict[str, list[str]] = {}

    @staticmethod
    def tensorboard_tag(name: str) -> tuple[str, str | None]:
        """Where a logged metric goes: ``(tag, sub-run)``; sub-run None is the run itself (the
        only one written now)."""
        if name.startswith(_OPTIMIZER_KEYS):
            return f"train/{name}", None
        stage, _, rest = name.partition("/")
        if not rest:
            return name, None
        if rest in THROUGHPUT_KEYS:
            rest = THROUGHPUT_PREFIX + rest.replace("/", "_")
        if stage == "test":
            metric, slash, klass = rest.partition("/")
            stage, rest = "val", f"{metric}{TEST_SUFFIX}{slash}{klass}"
        if rest.count("/") >= 1:  # <stage>/<metric>/<class>: a group after train and val
            stage = f"{_STAGE_GROUPS.get(stage, stage)}{PER_CLASS}"
        return f"{stage}/{rest}", None

    @staticmethod
    def logged_name(tag: str, sub_run: str | None = None) -> str:
        """The metric name (as in ``run.json`` and the CSV log) of a TensorBoard ``tag`` of the
        run (``sub_run`` None) or of its sub-run: the inverse of :meth:`tensorboard_tag`."""
        stage, _, rest = tag.partition("/")
        if not rest:
            return tag
        if stage == "train" and rest.startswith(_OPTIMIZER_KEYS):
            return rest
        if stage.endswith(PER_CLASS):
            stage = stage[:-len(PER_CLASS)]
            stage = {group: name for name, group in _STAGE_GROUPS.items()}.get(stage, stage)
        if rest.startswith("per_class/"):  # ``val/per_class/iou/cat``: a run of an earlier version
            rest = rest[len("per_class/"):]
        metric, slash, klass = rest.partition("/")
        if sub_run == TEST_RUN and stage == "val":  # a run of an earlier version
            stage = "test"
        elif stage == "val" and metric.endswith(TEST_SUFFIX):
            stage, rest = "test", f"{metric[:-len(TEST_SUFFIX)]}{slash}{klass}"
        key = rest.removeprefix(THROUGHPUT_PREFIX)
        key = f"device/{key.removeprefix('device_')}" if key.startswith("device_") else key
        if rest.startswith(THROUGHPUT_PREFIX) and key in THROUGHPUT_KEYS:
            rest = key
        return f"{stage}/{rest}"

    @rank_zero_only
    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        metrics = {name: value for name, value in metrics.items() if name != "epoch"}
        self._add_per_class_charts(metrics)
        main = {self.tensorboard_tag(name)[0]: value for name, value in metrics.items()}
        if main:
            super().log_metrics(main, step)

    def _add_per_class_charts(self, metrics: Mapping[str, Any]) -> None:
        """Write the custom-scalars layout again when a new per-class metric or class appears.

        A per-class metric is logged as ``<stage>/<metric>/<class>`` (see
        ``TaskModule._log_epoch_metrics``); its chart plots every class of it. TensorBoard
        draws every line of a run in the run's colour and names them only in the chart's
        "Matches" list, so the title says which classes it holds (the legend that is missing).
        TensorBoard keeps the last layout of each run and merges the layouts of all runs.
        """
        changed = False
        for name in metrics:
            if name.count("/") < 2 or name.startswith(_OPTIMIZER_KEYS) or _is_throughput(name):
                continue
            chart, klass = name.rsplit("/", 1)
            classes = self._per_class_charts.setdefault(chart, [])
            if klass not in classes:
                classes.append(klass)
                changed = True
        if not changed:
            return
        charts_layout = {}
        for chart, classes in sorted(self._per_class_charts.items()):
            tag_prefix = self.tensorboard_tag(f"{chart}/class")[0].rsplit("/", 1)[0]
            title = f"{chart} (every class: {', '.join(classes)})"
            charts_layout[title] = ["Multiline", [f"^{re.escape(tag_prefix)}/"]]
        self.experiment.add_custom_scalars({PER_CLASS_CATEGORY: charts_layout})
