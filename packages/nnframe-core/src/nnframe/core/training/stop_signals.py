"""SIGTERM and Ctrl-C (SIGINT): every process of a run stops at the same step boundary.

Lightning turns SIGTERM into ``SIGTERMException`` at the end of a batch; under DDP rank 0's
flag is broadcast at the start of every training batch. Two things go wrong there: its handler
itself broadcasts (from inside the signal handler, paired with whatever collective the other
processes run next), and a SIGTERM that reaches another rank than 0 stops that rank alone, at
its next per-rank check, while the others go on into the next collective: a deadlock. Ctrl-C
becomes a ``KeyboardInterrupt`` anywhere, mid optimizer step included, and a process blocked in
a collective never runs Python's handler at all.

:class:`StopSignalConnector` replaces Lightning's signal connector on a trainer:

- The first SIGTERM or SIGINT on any process is a stop request. One process: Lightning's own
  checks stop it after the current batch. Several: every process agrees at the start of each
  training batch (one all-reduce, in place of Lightning's broadcast), so all stop before the
  same batch. Either way the run ends with ``SIGTERMException``: the
  :class:`~nnframe.core.callbacks.PreemptionCheckpointCallback` writes ``last.ckpt``, and
  :attr:`StopSignalConnector.stop_signal` says which signal it was.
- A second signal stops at once: a watchdog thread sees it through ``signal.set_wakeup_fd``
  even while the main thread is blocked in C (a hung collective, a dataloader), kills the other
  processes and exits with 128 + the signal number, keeping the last checkpoint written.
  Signals within :data:`SAME_REQUEST_WINDOW_S` of the first are the same request: ``timeout``,
  ``uv run`` and schedulers that signal every process of a job deliver one SIGTERM twice (the
  wrapper forwards what the process already got), and the graceful save is what such a job
  needs; a person's second Ctrl-C comes later.
- DataLoader workers forked meanwhile ignore both signals: a Ctrl-C reaches the terminal's whole
  process group, and the main process shuts its workers down itself.

It builds on Lightning's private signal connector and per-batch SIGTERM broadcast through
:mod:`nnframe.core.compat.lightning` (``SignalConnectorBase``, ``set_signal_connector``,
``set_per_batch_stop_check``), whose tests fail when Lightning changes them.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

import lightning as L
import torch
from lightning.pytorch.utilities.exceptions import SIGTERMException

from nnframe.core.compat.lightning import SignalConnectorBase, set_per_batch_stop_check, set_signal_connector
from nnframe.core.training.run_lifecycle import exit_code

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
SAME_REQUEST_WINDOW_S = 2.0  # signals this soon after the first are the same stop request


def signal_label(signum: int) -> str:
    """``Ctrl-C (SIGINT)`` or ``SIGTERM``."""
    name = signal.Signals(signum).name
    return "Ctrl-C (SIGINT)" if signum == signal.SIGINT else name


_active_connectors = 0  # connectors with handlers installed in this process
_last_stop: list[int] = []  # the last stop every process agreed on, in this process


def last_stop_signal() -> int | None:
    """The signal of the last agreed stop in this process (None: none)."""
    return _last_stop[-1] if _last_stop else None


def _quiet_forked_child() -> None:
    """In a child forked while handlers are installed (a DataLoader worker): leave SIGINT and
    SIGTERM to the main process, which shuts its workers down itself. Otherwise a Ctrl-C in the
    terminal, which reaches the whole process group, would end the workers mid-epoch, and
    their signals would reach the main process's watchdog through the inherited wakeup fd."""
    if _active_connectors:
        with contextlib.suppress(ValueError):  # not the main thread: nothing to undo
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_quiet_forked_child)


def _distributed(trainer: L.Trainer) -> bool:
    return trainer.world_size > 1 and torch.distributed.is_available() and torch.distributed.is_initialized()


class _SecondSignalWatchdog(threading.Thread):
    """Counts SIGINT/SIGTERM arrivals from Python's wakeup file descriptor (written by the C-level
    handler, so also while the main thread is stuck in C) and calls ``on_second`` at the first
    one that comes :data:`SAME_REQUEST_WINDOW_S` or more after the first.

    Args:
        first_at: ``[monotonic time of the first signal, or None]``, shared by the watchdogs of
            one trainer's fit and test runs.
        on_second: called with the signal number of the second request.
    """

    def __init__(self, first_at: list[float | None], on_second: Callable[[int], None]) -> None:
        super().__init__(daemon=True, name="nnframe-stop-watchdog")
        self._first_at = first_at
        self._on_second = on_second
        self._reader, self._writer = socket.socketpair()
        self._writer.setblocking(False)
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)

    def run(self) -> None:
        while True:
            try:
                data = self._reader.recv(64)
            except OSError:
                return
            if not data:
                return
            for signum in data:
                if signum not in STOP_SIGNALS:
                    continue
                now = time.monotonic()
                if self._first_at[0] is None:
                    self._first_at[0] = now
                elif now - self._first_at[0] >= SAME_REQUEST_WINDOW_S:
                    self._on_second(signum)
                    return

    def close(self) -> None:
        signal.set_wakeup_fd(self._previous_fd)
        self._writer.close()  # ends run()
        self._reader.close()


class StopSignalConnector(SignalConnectorBase):
    """Lightning's signal connector with the stop behaviour described in the module docstring.

    Attributes:
        stop_signal: the signal of the stop every process agreed on (None while running).
        hard_stop_hooks: called with the signal number before a second signal ends the process
            (e.g. to write ``run.json``); they must be quick and must not raise.
    """

    def __init__(self, trainer: L.Trainer) -> None:
        super().__init__(trainer)
        self.stop_signal: int | None = None
        self.hard_stop_hooks: list[Callable[[int], None]] = []
        self._requested: int | None = None  # this process's request, before the others agree
        self._first_at: list[float | None] = [None]  # the first signal's time, over every fit/test run
        self._watchdog: _SecondSignalWatchdog | None = None

    @property
    def requested(self) -> int | None:
        """The signal this process received first (agreed or not)."""
        return self._requested

    def register_signal_handlers(self) -> None:
        super().register_signal_handlers()  # SIGTERM -> on_sigterm (and SLURM's requeue signal)
        if threading.current_thread() is not threading.main_thread():
            return
        global _active_connectors
        signal.signal(signal.SIGINT, self._stop_handler)
        self.received_sigterm = self.stop_signal is not None
        self._watchdog = _SecondSignalWatchdog(self._first_at, self._stop_at_once)
        self._watchdog.start()
        _active_connectors += 1

    def teardown(self) -> None:
        global _active_connectors
        if self._watchdog is not None:
            self._watchdog.close()
            self._watchdog = None
            _active_connectors -= 1
        super().teardown()  # restores the handlers from before the trainer ran (SIGINT included)

    def on_sigterm(self, signum: int, frame: FrameType | None) -> None:
        self._stop_handler(signum, frame)

    def on_requeue_signal(self, signum: int, frame: FrameType | None) -> None:
        # SLURM's requeue signal (Lightning's auto_requeue): a stop like SIGTERM, after which rank 0
        # requeues the job (nnframe.core.training.slurm_requeue), instead of Lightning's checkpoint
        # written inside the handler, mid-step and, under DDP, in a collective of its own.
        self._stop_handler(signum, frame)

    def _stop_handler(self, signum: Any, frame: FrameType | None) -> None:
        if self._requested is not None:
            return  # the watchdog handles the second signal
        self._requested = int(signum)
        if self.trainer.local_rank == 0:
            print(f"\n{signal_label(signum)}: stopping before the next step, saving a checkpoint "
                  f"(again, {SAME_REQUEST_WINDOW_S:g} s or more later: stop at once)", file=sys.stderr, flush=True)
        if self.trainer.world_size == 1:
            self.agree(signum)
        # Several processes: only agree_on_stop() (every process at the same point) stops the run,
        # also when the signal comes before the process group exists.

    def agree(self, signum: int) -> None:
        """Make ``signum`` the stop of every process (call on every process at the same point)."""
        self.stop_signal = int(signum)
        self.received_sigterm = True  # what Lightning's loops check
        _last_stop.append(self.stop_signal)

    def agree_on_stop(self) -> int | None:
        """All-reduce the requests of every process (a collective when there are several: every
        process calls it at the same point); returns the agreed signal, or None."""
        local = self.stop_signal or self._requested or 0
        if _distributed(self.trainer):
            flag = torch.tensor([local], device=self.trainer.strategy.root_device)
            torch.distributed.all_reduce(flag, op=torch.distributed.ReduceOp.MAX)
            local = int(flag.item())
        if local and self.stop_signal is None:
            self.agree(local)
        return self.stop_signal

    def _stop_at_once(self, signum: int) -> None:
        """Second signal: end this process (and the processes it launched) now."""
        if self.trainer.local_rank == 0:
            print(f"\n{signal_label(signum)} again: stopping at once; the checkpoints already written are kept",
                  file=sys.stderr, flush=True)
        launcher = self.trainer.strategy.launcher
        for process in getattr(launcher, "procs", []):
            process.kill()
        for hook in self.hard_stop_hooks:
            with contextlib.suppress(Exception):  # never keep alive a process the user asked to end
                hook(signum)
        os._exit(exit_code(signum))


_dead_ranks: list[str] = []  # the message of the last run whose other process died, in this process


def dead_rank_message(trainer: L.Trainer, run_dir: str | os.PathLike[str]) -> str | None:
    """Which process of a DDP run that Lightning launched died, how, and where its log is; None
    when all of them are alive (or this process launched none). Rank 0 calls it when a
    collective fails: gloo only says "Connection closed by peer"."""
    from pathlib import Path

    launcher = trainer.strategy.launcher
    for local_rank, process in enumerate(getattr(launcher, "procs", None) or [], start=1):
        code = process.poll()
        if not code:
            continue
        how = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
        rank = trainer.node_rank * trainer.num_devices + local_rank
        logs = sorted(Path(run_dir).glob(f"*ddp_process_{local_rank}.log"))
        where = f"see its log at {logs[0]}" if logs else "see its output above"
        message = (f"rank {rank} died ({how}; out of memory?) at epoch {trainer.current_epoch}, step "
                   f"{trainer.global_step}, and the other processes stopped: {where}")
        _dead_ranks.append(message)
        return message
    return None


def last_dead_rank() -> str | None:
    """The message :func:`dead_rank_message` gave last in this process, if any."""
    return _dead_ranks[-1] if _dead_ranks else None


def install_stop_signals(trainer: L.Trainer) -> StopSignalConnector:
    """Give ``trainer`` a :class:`StopSignalConnector`, and make its DDP processes agree on a stop
    at the start of each training batch (replacing Lightning's per-batch broadcast of rank 0's flag)."""
    connector = StopSignalConnector(trainer)
    set_signal_connector(trainer, connector)

    def agree_or_raise() -> None:  # called by Lightning on every rank before each training batch
        if connector.agree_on_stop() is not None:
            raise SIGTERMException()

    set_per_batch_stop_check(trainer, agree_or_raise)
    return connector
