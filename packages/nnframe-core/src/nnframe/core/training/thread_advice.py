"""A note when a CPU run starts on a busy machine: torch's threads then wait on each other."""

from __future__ import annotations

import os


def busy_machine_note(threads: int, load: float | None = None, cores: int | None = None) -> str | None:
    """What to set when the machine is already busy, or None.

    Torch runs each operation on all its threads (one per core) and waits for the slowest: when
    other processes keep the cores busy, every step waits for a thread the system has not
    scheduled yet, spinning meanwhile, and a CPU run gets many times slower (measured in
    ``benchmarks/README.md``, "Threads on a shared machine"). The ``nnframe`` command sets
    ``OMP_WAIT_POLICY=PASSIVE``; a Python process that loaded torch without it is told what to set.

    Args:
        threads: torch's intra-op threads (``torch.get_num_threads()``).
        load: the 1-minute load average (default: ``os.getloadavg()``), before this run computes.
        cores: the cores this process may use (default: its CPU affinity).
    """
    if threads <= 1 or "OMP_NUM_THREADS" in os.environ or os.environ.get("OMP_WAIT_POLICY", "").upper() == "PASSIVE":
        return None  # one thread, or idle threads that sleep (the nnframe command's default)
    try:
        load = os.getloadavg()[0] if load is None else load
    except OSError:  # not available on this system
        return None
    if cores is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if load < cores:
        return None
    return (f"this machine is busy (load {load:.1f} on {cores} cores): torch's {threads} threads per operation "
            "spin while they wait for each other; OMP_WAIT_POLICY=PASSIVE (what the nnframe command sets) or "
            "OMP_NUM_THREADS=1 before starting Python is much faster on a shared machine")
