"""Fault injection for reliability tests: a process that signals itself at a chosen point, a
machine without network."""

from __future__ import annotations

import os
import signal as signals
import socket
import time
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback


class SignalCallback(Callback):
    """Send ``signal`` to this process at the start of epoch ``at_epoch``, after step ``at_step``
    or at the start of test batch ``at_test_batch``.

    With ``at_epoch=k`` the signal arrives after epoch ``k-1`` and its checkpoints are complete,
    i.e. exactly at an epoch boundary; with ``at_step`` it arrives mid-epoch.

    Args:
        signal: a signal name, e.g. ``SIGKILL`` or ``SIGTERM``.
        at_epoch: epoch at whose start the signal is sent.
        at_step: global step after which the signal is sent.
        at_test_batch: test batch (index) at whose start the signal is sent.
        rank: only the process of this global rank signals itself (None: every process).
        once_file: signal only if this file does not exist yet, and create it (one run of a
            sweep, or a run and not its resumption).
    """

    def __init__(self, signal: str = "SIGKILL", at_epoch: int | None = None, at_step: int | None = None,
                 rank: int | None = None, once_file: str | None = None, at_test_batch: int | None = None) -> None:
        self.signal = signals.Signals[signal]
        self.at_epoch = at_epoch
        self.at_step = at_step
        self.at_test_batch = at_test_batch
        self.rank = rank
        self.once_file = once_file

    def _send(self, trainer: L.Trainer) -> None:
        if self.rank is not None and trainer.global_rank != self.rank:
            return
        if self.once_file is not None:
            if os.path.exists(self.once_file):
                return
            open(self.once_file, "w").close()
        os.kill(os.getpid(), self.signal)

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.current_epoch == self.at_epoch:
            self._send(trainer)

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, *args: object) -> None:
        if trainer.global_step == self.at_step:
            self._send(trainer)

    def on_test_batch_start(self, trainer: L.Trainer, pl_module: L.LightningModule, batch: object,
                            batch_idx: int, dataloader_idx: int = 0) -> None:
        if batch_idx == self.at_test_batch:
            self._send(trainer)


class PoisonWeightsCallback(Callback):
    """Set every weight to NaN after step ``at_step``, so the next loss is NaN."""

    def __init__(self, at_step: int) -> None:
        self.at_step = at_step

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, *args: object) -> None:
        if trainer.global_step == self.at_step:
            with torch.no_grad():
                for parameter in pl_module.parameters():
                    parameter.fill_(float("nan"))


class CrashCallback(Callback):
    """Raise ``RuntimeError`` after step ``at_step`` (a crash without a signal)."""

    def __init__(self, at_step: int) -> None:
        self.at_step = at_step

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, *args: object) -> None:
        if trainer.global_step == self.at_step:
            raise RuntimeError(f"injected crash after step {self.at_step}")


class HangCallback(Callback):
    """Block in C (``time.sleep``) for ``seconds`` after step ``at_step``: a stuck process, like
    one waiting in a collective that never completes."""

    def __init__(self, at_step: int, seconds: float = 3600.0) -> None:
        self.at_step = at_step
        self.seconds = seconds

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, *args: object) -> None:
        if trainer.global_step == self.at_step:
            print(f"hanging after step {self.at_step}", flush=True)
            time.sleep(self.seconds)


def cut_network(monkeypatch: Any) -> list[str]:
    """Make every host name fail to resolve in this process, as on a machine without network
    (``[Errno -2] Name or service not known``), for the rest of the test.

    Args:
        monkeypatch: pytest's ``monkeypatch`` fixture (undoes it after the test).

    Returns:
        The hosts asked for so far (filled as the test runs): how many connections were tried.
    """
    asked: list[str] = []

    def unresolvable(host: Any, *args: Any, **kwargs: Any) -> Any:
        asked.append(str(host))
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", unresolvable)
    return asked
