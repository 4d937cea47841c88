"""Lightning's TensorBoard logger, with the tags arranged for what a user reads first."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from lightning.pytorch.loggers import TensorBoardLogger
from lightning.pytorch.utilities import rank_zero_only
from torch import Tensor

#: The sub-run that holds the test metrics (``<log_dir>/test``).
TEST_RUN = "test"
#: Keys LearningRateMonitor logs (``lr-AdamW``, ``momentum-SGD``, ...): training curves.
_OPTIMIZER_KEYS = ("lr-", "momentum-", "weight_decay-")
PER_CLASS_CATEGORY = "per class"
#: Per-class values (``val/iou/<class>``) are drawn as ``val/per_class/iou/<class>``: their cards
#: come after the stage's own metrics (TensorBoard orders cards by tag).
PER_CLASS = "per_class"


class TensorBoardRunLogger(TensorBoardLogger):
    """``TensorBoardLogger`` whose Time Series opens on the training and validation curves.

    TensorBoard sorts tag groups by name and expands the first two, so what this logger writes
    is arranged for that:

    - no ``epoch`` scalar (Lightning adds one to every call; the x axis is the step);
    - the learning rate under ``train/`` (LearningRateMonitor's ``lr-AdamW`` becomes
      ``train/lr-AdamW``);
    - test metrics in the sub-run ``<log_dir>/test`` under their validation names
      (``test/acc`` is ``val/acc`` of run ``.../test``): the best checkpoint's test value is a
      point on the validation chart, not a group of one-point charts sorted before ``train/``;
    - per-class metrics (``val/iou/<class>``) as ``val/per_class/iou/<class>``, so that their
      cards follow the stage's other cards, and also in one multi-line chart per metric on the
      CUSTOM SCALARS tab (category ``per class``).

    Args:
        *args, **kwargs: as :class:`lightning.pytorch.loggers.TensorBoardLogger`.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._test_writer: Any = None
        self._per_class_charts: list[str] = []

    @staticmethod
    def tensorboard_tag(name: str) -> tuple[str, str | None]:
        """Where a logged metric goes: ``(tag, sub-run)``; sub-run None is the run itself."""
        if name.startswith(_OPTIMIZER_KEYS):
            return f"train/{name}", None
        stage, _, rest = name.partition("/")
        if rest.count("/") >= 1:  # <stage>/<metric>/<class>: after the stage's other cards
            rest = f"{PER_CLASS}/{rest}"
        if stage == "test":
            return f"val/{rest}", TEST_RUN
        return f"{stage}/{rest}" if rest else name, None

    @staticmethod
    def logged_name(tag: str, sub_run: str | None = None) -> str:
        """The metric name (as in ``run.json`` and the CSV log) of a TensorBoard ``tag`` of the
        run (``sub_run`` None) or of its sub-run: the inverse of :meth:`tensorboard_tag`."""
        stage, _, rest = tag.partition("/")
        if stage == "train" and rest.startswith(_OPTIMIZER_KEYS):
            return rest
        if rest.startswith(f"{PER_CLASS}/"):
            rest = rest[len(PER_CLASS) + 1:]
        if sub_run == TEST_RUN and stage == "val":
            stage = "test"
        return f"{stage}/{rest}" if rest else tag

    @property
    def test_writer(self) -> Any:
        """The ``SummaryWriter`` of the test sub-run (made on first use)."""
        if self._test_writer is None:
            from torch.utils.tensorboard import SummaryWriter

            self._test_writer = SummaryWriter(os.path.join(self.log_dir, TEST_RUN))
        return self._test_writer

    @rank_zero_only
    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        main: dict[str, Any] = {}
        metrics = {name: value for name, value in metrics.items() if name != "epoch"}
        self._add_per_class_charts(metrics)
        for name, value in metrics.items():
            tag, run = self.tensorboard_tag(name)
            if run is None:
                main[tag] = value
            else:
                self.test_writer.add_scalar(tag, value.item() if isinstance(value, Tensor) else value, step)
        if main:
            super().log_metrics(main, step)

    def _add_per_class_charts(self, metrics: Mapping[str, Any]) -> None:
        """Write the custom-scalars layout again when a new per-class metric appears.

        A per-class metric is logged as ``<stage>/<metric>/<class>`` (see
        ``TaskModule._log_epoch_metrics``); its chart plots every class of it.
        TensorBoard keeps the last layout of each run and merges the layouts of all runs.
        """
        charts = {name.rsplit("/", 1)[0].replace("test/", "val/", 1) for name in metrics
                  if name.count("/") >= 2 and not name.startswith(_OPTIMIZER_KEYS)}
        new = sorted(charts - set(self._per_class_charts))
        if not new:
            return
        self._per_class_charts = sorted({*self._per_class_charts, *new})
        charts_layout = {}
        for chart in self._per_class_charts:
            stage, _, metric = chart.partition("/")
            charts_layout[f"{chart} (every class)"] = ["Multiline", [f"^{re.escape(f'{stage}/{PER_CLASS}/{metric}')}/"]]
        self.experiment.add_custom_scalars({PER_CLASS_CATEGORY: charts_layout})

    @rank_zero_only
    def finalize(self, status: str) -> None:
        super().finalize(status)
        if self._test_writer is not None:
            self._test_writer.flush()
            self._test_writer.close()
            self._test_writer = None
