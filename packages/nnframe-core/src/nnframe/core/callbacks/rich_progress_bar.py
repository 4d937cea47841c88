"""Lightning's Rich progress bar, updated every N training steps instead of every step, and safe
under DDP."""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

import lightning as L
import rich
from lightning.pytorch.callbacks import RichProgressBar as _LightningRichProgressBar
from lightning.pytorch.callbacks.progress.rich_progress import ProcessingSpeedColumn
from rich.text import Text

from nnframe.core.compat.lightning import update_progress_bar_metrics

# Rich cuts everything at 80 columns when the output is not a terminal (a log file, CI).
OFF_TERMINAL_WIDTH = 160
# Columns of the bar's line before its metrics ("Epoch 3/9 ━━━━━ 62/62 0:00:05 • 0:00:00 12.34it/s ").
_BAR_COLUMNS = 92


class _CurrentStream:
    """``sys.stdout`` (or ``sys.stderr``) as it is at each write: while Rich's live progress bar
    runs, that is Rich's proxy, which prints each line above the bar instead of on its line
    (where the next redraw overwrites it). Logging handlers keep the stream they were given
    (Hydra's console handler gets the real stdout at start-up), so the epoch lines, Lightning's
    ``Trainer.fit stopped`` and every other log line were written into the bar."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._partial = ""

    def write(self, text: str) -> int:
        target = getattr(sys, self.name)
        if not hasattr(target, "rich_proxied_file"):  # no live display: straight through
            return target.write(text)
        # Rich's proxy prints each line cut at the terminal's width (hard line breaks in the middle
        # of a checkpoint's path); printed whole, the terminal wraps it and a copy stays one path.
        *lines, self._partial = (self._partial + text).split("\n")
        console = rich.get_console()
        for line in lines:
            console.print(Text.from_ansi(line), soft_wrap=True)
        return len(text)

    def flush(self) -> None:
        if self._partial:
            self.write("\n")
        getattr(sys, self.name).flush()

    def isatty(self) -> bool:
        return getattr(sys, self.name).isatty()


def _log_above_live_display() -> None:
    """Point the console handlers of the root logger (Hydra's) and Lightning's loggers at the
    current ``sys.stdout`` / ``sys.stderr`` instead of the objects they hold."""
    loggers = [logging.getLogger(), *(logging.getLogger(n) for n in ("lightning", "lightning.pytorch"))]
    for logger in loggers:
        for handler in logger.handlers:
            if type(handler) is not logging.StreamHandler:  # FileHandler is a StreamHandler: leave files alone
                continue
            stream: TextIO | _CurrentStream = handler.stream
            for name in ("stdout", "stderr"):
                if stream in (getattr(sys, name), getattr(sys, f"__{name}__")):
                    handler.setStream(_CurrentStream(name))  # type: ignore[arg-type]


#: The bar's metrics, most wanted first, and the short name each is shown with; others follow.
_SHORT_NAMES = {"train/loss_step": "loss", "val/loss": "val_loss", "train/loss_epoch": "train_loss"}


class _SpeedColumn(ProcessingSpeedColumn):
    """Steps per second, or nothing while unknown (Lightning shows ``0.00it/s``, e.g. on a bar
    updated once): a finished bar shows its whole-run speed."""

    def render(self, task: Any) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:.2f}it/s" if speed else "", style=self.style)


class RichProgressBar(_LightningRichProgressBar):
    """A :class:`lightning.pytorch.callbacks.RichProgressBar` that reads the logged metrics and
    asks for a redraw only every ``refresh_rate`` training steps (and at the last one).

    Lightning's bar does both after every step: reading the metrics converts the logged tensors
    to Python floats (a device synchronisation on a GPU) and every redraw request wakes Rich's
    render thread, which competes with the training loop for the GIL. With small, fast steps
    that costs several per cent of the throughput (see ``benchmarks/overhead.py``).

    It also never reads the metrics at the end of a training epoch. There, Lightning's bar
    (enabled on rank 0 only) asks for the epoch values before they are computed, which computes
    the ``sync_dist`` ones: a collective on rank 0 alone, while the other ranks are already in
    the next one (e.g. ``MetricCollection.compute``'s all-gather) -- a DDP deadlock
    (Lightning issue #21264). The epoch values appear at the next update instead, once every
    rank has computed them (the next epoch's first refresh, validation end, or the end of fit).

    Args:
        refresh_rate: update the bar every N training steps (0 hides it).
        leave: keep the finished bars on screen.
        **kwargs: other :class:`lightning.pytorch.callbacks.RichProgressBar` arguments.
    """

    def __init__(self, refresh_rate: int = 10, leave: bool = False, **kwargs: Any) -> None:
        if not sys.stdout.isatty():
            kwargs["console_kwargs"] = {"width": OFF_TERMINAL_WIDTH, **(kwargs.get("console_kwargs") or {})}
        super().__init__(refresh_rate=refresh_rate, leave=leave, **kwargs)

    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        super().setup(trainer, pl_module, stage)
        _log_above_live_display()

    def get_metrics(self, trainer: L.Trainer, pl_module: L.LightningModule) -> dict[str, Any]:
        """The monitored metric and its best value first (``val/acc 0.912 best 0.930``), then the
        losses with short names; no logger version (``v_num``); as many as fit on the bar's line
        (Rich wraps the rest onto a second line, which every redraw then leaves behind)."""
        metrics = dict(super().get_metrics(trainer, pl_module))
        metrics.pop("v_num", None)
        monitor = str(getattr(pl_module, "monitor", "") or "")
        first = [k for k in (monitor, f"{monitor}_best") if k in metrics]
        named = [k for k in _SHORT_NAMES if k in metrics]
        ordered = first + named + [k for k in metrics if k not in first and k not in named]
        shown: dict[str, Any] = {}
        budget = max(self._width() - _BAR_COLUMNS, 0)
        for key in ordered:
            name = "best" if monitor and key == f"{monitor}_best" else _SHORT_NAMES.get(key, key)
            value = metrics[key]
            cell = len(f"{name}: {value:.3f} ") if isinstance(value, float) else len(f"{name}: {value} ")
            if cell > budget:
                break
            budget -= cell
            shown[name] = value
        return shown

    def _width(self) -> int:
        console = self.progress.console if self.progress is not None else None
        return console.width if console is not None else OFF_TERMINAL_WIDTH

    def configure_columns(self, trainer: L.Trainer) -> list:
        return [_SpeedColumn(self.theme.processing_speed) if isinstance(c, ProcessingSpeedColumn) else c
                for c in super().configure_columns(trainer)]

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        total = self.total_train_batches
        last = isinstance(total, int | float) and batch_idx + 1 >= total
        if self.refresh_rate and ((batch_idx + 1) % int(self.refresh_rate) == 0 or last):
            super().on_train_batch_end(trainer, pl_module, outputs, batch, batch_idx)

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.refresh()  # no metrics here: see the class docstring

    def on_exception(self, trainer: L.Trainer, pl_module: L.LightningModule, exception: BaseException) -> None:
        # A stopped run says where it stopped; a half-filled bar left on screen says nothing more.
        if self.progress is not None:
            for task in self.progress.tasks:
                task.visible = False
        super().on_exception(trainer, pl_module, exception)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # The last epoch's values, computed on every rank by now (a read of cached values).
        update_progress_bar_metrics(self, trainer, pl_module)
        self.refresh()
