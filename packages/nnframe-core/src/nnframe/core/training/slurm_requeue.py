"""Requeue of a SLURM job stopped on its time-limit signal (Lightning's SLURM auto-requeue).

Lightning's :class:`~lightning.fabric.plugins.environments.SLURMEnvironment` (``auto_requeue``,
``requeue_signal``, SIGUSR1 by default) decides that a run under SLURM is requeued on that
signal; Lightning's own handler saves a checkpoint from inside the signal handler, mid-step
and, under DDP, in a collective the other processes are not in. nnframe makes the signal a stop
like SIGTERM instead (every process stops before the same step and ``last.ckpt`` is written, see
:mod:`nnframe.core.training.stop_signals`); then rank 0 requeues the job with the command
Lightning runs, and the job, started again (``SLURM_RESTART_COUNT``), continues its run.
"""

from __future__ import annotations

import os
import re
import subprocess


def slurm_job_id() -> str | None:
    """The job to requeue: ``<array job>_<task>`` for an array task, else ``SLURM_JOB_ID``."""
    array_job = os.environ.get("SLURM_ARRAY_JOB_ID")
    if array_job is not None and "SLURM_ARRAY_TASK_ID" in os.environ:
        job = f"{array_job}_{os.environ['SLURM_ARRAY_TASK_ID']}"
    else:
        job = os.environ.get("SLURM_JOB_ID")
    return job if job and re.fullmatch(r"[0-9_]+", job) else None


def requeue_slurm_job() -> tuple[bool, str]:
    """Run ``scontrol requeue <job>``; returns whether it was requeued and the line to print (what
    happened, or what to do)."""
    job = slurm_job_id()
    if job is None:
        return False, "not requeued: no SLURM job id (SLURM_JOB_ID) in the environment; run the continue command"
    try:
        done = subprocess.run(["scontrol", "requeue", job], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        return False, f"could not requeue SLURM job {job} (scontrol: {error}); run the continue command"
    if done.returncode != 0:
        reason = (done.stderr or done.stdout).strip().splitlines()[-1:] or [f"exit {done.returncode}"]
        return False, f"could not requeue SLURM job {job} (scontrol: {reason[0]}); run the continue command"
    return True, f"requeued SLURM job {job}: started again, it continues from this checkpoint"
