"""Processes started by an external launcher (``torchrun``, ``srun``) agree on one run.

``torchrun --nnodes 2 ... -m nnframe.core.cli cls train`` and ``srun nnframe cls train`` start the
whole command once per process, and each would name its own timestamped run directory. Here
rank 0 decides such values and the others take them from the store of the launcher's own
rendezvous (``MASTER_ADDR:MASTER_PORT``), before any training starts:

- under ``torchrun`` the elastic agent of node 0 serves that store (its workers are clients,
  ``TORCHELASTIC_USE_AGENT_STORE``);
- under SLURM (Lightning's :class:`~lightning.fabric.plugins.environments.SLURMEnvironment`)
  rank 0 serves it, multi-tenant, so that Lightning's ``init_process_group`` later reuses the
  same server on the same port (see ``torch.distributed.rendezvous``).

A process that Lightning itself started (``trainer=ddp_cpu`` on one node) is given the run
directory on its command line and never gets here.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

# Rank 0 decides at start-up, before anything slow; the others started at the same time
# (torchrun's rendezvous starts every node's workers together).
AGREE_TIMEOUT = timedelta(minutes=10)
_ERROR = "\0error:"  # what rank 0 publishes when it could not decide (its own error ends it)
_stores: list[Any] = []  # kept open for the process's life: rank 0 may be the server
_processes_here: list[int] = []  # see processes_on_this_machine


@dataclass(frozen=True)
class ExternalLaunch:
    """Where this process stands in a run started by torchrun or srun.

    Attributes:
        rank: global rank.
        world_size: processes over all nodes.
        local_world_size: processes on this node.
        address, port: the launcher's rendezvous (``MASTER_ADDR``, ``MASTER_PORT``).
        agent_store: the torchrun agent serves the store there (all ranks are clients).
        attempt: the launcher's restart count (torchrun's ``--max-restarts``, SLURM's requeue).
    """

    rank: int
    world_size: int
    local_world_size: int
    address: str
    port: int
    agent_store: bool
    attempt: str


def external_launch() -> ExternalLaunch | None:
    """This process's place in a multi-process run started by torchrun or srun, or None (one
    process, or processes Lightning starts itself). Detected as Lightning detects it: SLURM
    first (``srun``), then torchrun."""
    if "TORCHELASTIC_RUN_ID" not in os.environ and "SLURM_NTASKS" not in os.environ:
        return None  # the common case answers without importing Lightning
    from lightning.fabric.plugins.environments import SLURMEnvironment, TorchElasticEnvironment

    if SLURMEnvironment.detect():
        env: Any = SLURMEnvironment()
        local = int(os.environ.get("SLURM_NTASKS_PER_NODE", "1").split("(")[0].split(",")[0] or 1)
        attempt = os.environ.get("SLURM_RESTART_COUNT", "0")
        agent = False
    elif TorchElasticEnvironment.detect():
        env = TorchElasticEnvironment()
        local = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
        attempt = os.environ.get("TORCHELASTIC_RESTART_COUNT", "0")
        agent = os.environ.get("TORCHELASTIC_USE_AGENT_STORE") == "True"
    else:
        return None
    try:
        if env.world_size() <= 1:
            return None
        return ExternalLaunch(rank=env.global_rank(), world_size=env.world_size(), local_world_size=local,
                              address=env.main_address, port=env.main_port, agent_store=agent, attempt=attempt)
    except (KeyError, ValueError):  # a variable of the launcher missing (a batch script without srun)
        return None


def _store(launch: ExternalLaunch) -> Any:
    if not _stores:
        from torch.distributed import PrefixStore, TCPStore

        server = launch.rank == 0 and not launch.agent_store
        store = TCPStore(launch.address, launch.port, is_master=server, timeout=AGREE_TIMEOUT,
                         wait_for_workers=False, multi_tenant=True)
        _stores.append(PrefixStore(f"nnframe/{launch.attempt}", store))
    return _stores[0]


def agreed(name: str, decide: Callable[[], str]) -> str:
    """``decide()`` on rank 0 and the same answer on every other process of an external launch
    (without one: ``decide()``).

    Args:
        name: what is agreed on (one key per value, e.g. ``run_dir``).
        decide: rank 0's way to the value; an exception it raises is raised there, and the
            other processes stop with a message that points to rank 0's output.
    """
    launch = external_launch()
    if launch is None:
        return decide()
    store = _store(launch)
    if launch.rank == 0:
        try:
            value = decide()
        except BaseException as error:
            store.set(name, f"{_ERROR}{type(error).__name__}")
            raise
        store.set(name, value)
        return value
    value = store.get(name).decode()
    if value.startswith(_ERROR):
        from nnframe.core.errors import ConfigError

        raise ConfigError(f"rank 0 could not choose the {name.replace('_', ' ')} "
                          f"({value[len(_ERROR):]}): see rank 0's output (node 0)")
    return value


def processes_on_this_machine(launch: ExternalLaunch) -> int:
    """How many processes of the run share this machine: each process counts itself under its host
    name in the store, and all wait until every process has. More than ``local_world_size`` when
    several "nodes" run on one machine (``torchrun --nnodes=2`` twice on one host, as tests do)."""
    if _processes_here:
        return _processes_here[0]
    store = _store(launch)
    store.add(f"host/{socket.gethostname()}", 1)
    if store.add("hosts_counted", 1) == launch.world_size:
        store.set("hosts_done", "1")
    store.wait(["hosts_done"])
    _processes_here.append(max(1, store.add(f"host/{socket.gethostname()}", 0)))
    return _processes_here[0]


def set_threads_per_process() -> None:
    """Torch threads for a process of an external launch: ``OMP_NUM_THREADS`` when set (torchrun sets
    1 when it starts several processes per node), else the machine's cores divided by the run's
    processes on it, as Lightning sets them for the processes it starts. Every process of the run
    calls it (it waits for all to count themselves)."""
    launch = external_launch()
    if launch is None or "OMP_NUM_THREADS" in os.environ:
        return
    import torch

    threads = max(1, (os.cpu_count() or 1) // processes_on_this_machine(launch))
    torch.set_num_threads(threads)
    os.environ["OMP_NUM_THREADS"] = str(threads)


def slurm_requeued() -> bool:
    """Whether this is a SLURM job started again after a requeue (``scontrol requeue``, a
    preemption, or nnframe's own requeue on the time-limit signal): it continues its run."""
    try:
        return int(os.environ.get("SLURM_RESTART_COUNT", "0")) > 0
    except ValueError:
        return False
