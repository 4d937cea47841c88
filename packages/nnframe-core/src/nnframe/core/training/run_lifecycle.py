"""How a run ends: ``run.json`` (completed / failed / interrupted), and what a stopped run says.

A run stopped by SIGTERM or Ctrl-C prints where its checkpoint is and the command that
continues it, records ``interrupted`` and exits with 128 + the signal number (130 for Ctrl-C,
143 for SIGTERM); a run that raises records ``failed`` with the error.
"""

from __future__ import annotations

import errno
import logging
import os
import shlex
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from nnframe.core.sweeps import read_run_record, write_run_record

log = logging.getLogger(__name__)

# Overrides a resumed run may change (see nnframe.core.resolvers.RESUME_FREE_KEYS); the
# continue command drops the ones that choose the checkpoint and adds resume=true.
_RESUME_CHOICE_KEYS = ("resume", "ckpt_path", "action")  # action=: added by the command line itself
_STARTED = time.time()  # this process's start: a failure record newer than that is this run's
_attempt_started = [_STARTED]  # this attempt's start (a sweep runs several in one process)
ATTEMPTS_DIR = "attempts"


def mark_attempt_start() -> None:
    """Note that a new attempt at a run starts now (see :func:`record_run`)."""
    _attempt_started[0] = time.time()


def exit_code(signum: int) -> int:
    """128 + ``signum``: 130 for Ctrl-C (SIGINT), 143 for SIGTERM (the shell's convention)."""
    return 128 + int(signum)


class RunInterrupted(SystemExit):
    """The run stopped on a signal after saving what it could; its code is the exit status.

    A ``SystemExit`` so that a sweep stops as a whole (Hydra's launchers record an ``Exception``
    as a failed job and go on with the next one).

    Args:
        signum: the signal that stopped it.
        message: what was saved and how to continue, already printed.
        details: extra fields for ``run.json`` (epoch, step, checkpoint).
    """

    def __init__(self, signum: int, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(exit_code(signum))
        self.signum = int(signum)
        self.message = message
        self.details = dict(details or {})


def global_rank() -> int:
    """This process's rank, from the environment the launchers set (0 without one)."""
    for name in ("RANK", "SLURM_PROCID", "LOCAL_RANK"):
        if name in os.environ:
            try:
                return int(os.environ[name])
            except ValueError:
                continue
    return 0


def launched_by_lightning() -> bool:
    """Whether this is a DDP process that Lightning started from rank 0's command line.

    Lightning's process observer on rank 0 kills every process as soon as one of these exits
    with a non-zero code, so after a stop every process agreed on they exit with 0 and let
    rank 0 report the status.
    """
    from hydra.core.hydra_config import HydraConfig

    return HydraConfig.initialized() and "_ddp_process_" in str(HydraConfig.get().job.name)


def command_line_overrides() -> list[str]:
    """The ``key=value`` overrides of this run, as given on the command line."""
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        return []
    return [str(o) for o in HydraConfig.get().overrides.task]


def continue_command(task: str, overrides: list[str] | None = None) -> str:
    """``nnframe <task> train <the same overrides> resume=true``."""
    overrides = command_line_overrides() if overrides is None else overrides
    kept = [o for o in overrides if o.split("=", 1)[0].lstrip("+~") not in _RESUME_CHOICE_KEYS]
    return shlex.join(["nnframe", task, "train", *kept, "resume=true"])


def record_run(output_dir: str | Path, status: str, metrics: dict[str, float] | None = None,
               error: str | None = None, **extra: Any) -> None:
    """Write ``run.json`` for ``nnframe runs``; never raises (a bookkeeping error must not hide
    the run's own). A completed run's record is only replaced by an attempt that trained on
    (wrote its ``last.ckpt``); otherwise the attempt goes to ``attempts/<time>.json``. On DDP only rank 0 writes, except a failure: the process that failed writes
    it (the others may be killed before they can), and a later failure of another process (its
    collective broken by the first) does not replace that first error."""
    rank = global_rank()
    if rank != 0 and status != "failed":
        return
    try:
        previous = read_run_record(output_dir)
        if previous and previous.get("status") == "completed" and not _went_on(output_dir):
            _record_attempt(output_dir, status, metrics, error=error, **extra)
            return
        if status == "failed":
            record_file = Path(output_dir) / "run.json"
            if (previous and previous.get("status") == "failed" and previous.get("rank", 0) != rank
                    and record_file.stat().st_mtime >= _STARTED):
                return
            extra = {**extra, "rank": rank}
        write_run_record(output_dir, status, metrics, error=error, **extra)
    except Exception as error:  # one line: the run's own error is what matters
        log.warning("could not write run.json in %s: %s", output_dir, error)


def _went_on(output_dir: str | Path) -> bool:
    """Whether this attempt wrote the run's ``last.ckpt`` (trained on from where it was)."""
    try:
        return (Path(output_dir) / "checkpoints" / "last.ckpt").stat().st_mtime >= _attempt_started[0]
    except OSError:
        return False


def _record_attempt(output_dir: str | Path, status: str, metrics: dict[str, float] | None = None,
                    error: str | None = None, **extra: Any) -> None:
    """A completed run's ``run.json`` stays as it is when an attempt to go on trains nothing (a
    resume that fails to load its checkpoint, or has nothing left to train): the attempt is
    recorded apart, in ``attempts/<time>.json``."""
    folder = Path(output_dir) / ATTEMPTS_DIR
    stamp = time.strftime("%Y-%m-%d_%H-%M-%S", time.localtime(_attempt_started[0]))
    name, n = stamp, 1
    while (folder / f"{name}.json").exists():
        name, n = f"{stamp}_{n}", n + 1
    path = write_run_record(folder, status, metrics, error=error, **extra)
    path.rename(folder / f"{name}.json")
    log.info("%s keeps the completed run's record; this attempt (%s) is in %s",
             Path(output_dir) / "run.json", status, folder / f"{name}.json")


_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


def _no_space(error: BaseException) -> OSError | None:
    """The "no space left" OSError in ``error``'s chain of causes, if any."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in _NO_SPACE:
            return current
        current = current.__cause__ or current.__context__
    return None


def disk_full_message(error: BaseException, run_dir: str | Path) -> str | None:
    """One line for a run that ended because its disk is full: the path and what was being
    written (TensorBoard events, the log, ...), and the fix; None for any other error."""
    full = _no_space(error)
    if full is None:
        return None
    frames = [frame.filename for frame in traceback.extract_tb(full.__traceback__)]
    if full.filename:
        what = f"{full.filename}"
    elif any("tensorboard" in name for name in frames):
        what = f"the TensorBoard events in {Path(run_dir) / 'tensorboard'}"
    else:
        what = f"the run's files in {run_dir}"
    return (f"no space left on the device while writing {what}: free space there, or write runs to "
            "another disk with paths.log_dir=/path/to/outputs")


def quiet_disk_full_noise() -> None:
    """A full disk makes every writer fail at once: the log handlers and TensorBoard's writer
    thread would each print a traceback before the run's one-line error. Logging errors are
    dropped (as the logging docs advise outside development) and a writer thread's "no space"
    is left to the main thread, which reports it when it flushes."""
    logging.raiseExceptions = False
    previous = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None and _no_space(args.exc_value) is not None:
            return
        previous(args)

    if getattr(threading.excepthook, "__name__", "") != "nnframe_disk_full_hook":
        hook.__name__ = "nnframe_disk_full_hook"
        threading.excepthook = hook


def stop_message(task: str, signum: int, epoch: int, step: int, checkpoint: Path | None, written: bool,
                 stage: str = "training", preemption_callback: bool = True) -> str:
    """What a run stopped by ``signum`` prints: where it stopped, its checkpoint, how to go on."""
    from nnframe.core.training.stop_signals import signal_label

    lines = [f"stopped by {signal_label(signum)} during {stage} at epoch {epoch}, step {step}"]
    if checkpoint is not None and written:
        lines.append(f"saved {checkpoint}")
    elif checkpoint is not None:
        lines.append(f"{checkpoint} is up to date (no step since it was written)")
    elif not preemption_callback:
        lines.append("no checkpoint was written on the stop (callbacks.preemption_checkpoint is off)")
    else:
        lines.append("no checkpoint: no training step had finished")
    if checkpoint is not None:
        lines.append(f"continue: {continue_command(task)}")
    return "\n".join(lines)
