"""Processes of one torchrun/srun launch agree through the launcher's store: rank 0 decides, the
others take its answer, or its failure with a pointer to rank 0's output; each counts the run's
processes on its machine. Two real processes with torchrun's environment (rank 0 serving the store)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap

import pytest

from nnframe.core.external_launch import agreed, external_launch

_SCRIPT = textwrap.dedent("""
    import json, sys
    from nnframe.core.errors import ConfigError
    from nnframe.core.external_launch import agreed, external_launch, processes_on_this_machine

    def decide():
        if sys.argv[1] == "fail":
            raise ConfigError("resume=true: no run to continue")
        return "/runs/2026-01-01_00-00-00"

    launch = external_launch()
    try:
        value = agreed("run_dir", decide)
    except ConfigError as error:
        value = f"error: {error}"
    print(json.dumps({"rank": launch.rank, "value": value, "here": processes_on_this_machine(launch)}))
""")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _two_ranks(mode: str) -> list[dict]:
    port = _free_port()
    processes = []
    for rank in (0, 1):
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}, "TORCHELASTIC_RUN_ID": "test",
               "RANK": str(rank), "LOCAL_RANK": "0", "GROUP_RANK": str(rank), "WORLD_SIZE": "2",
               "LOCAL_WORLD_SIZE": "1", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port)}
        processes.append(subprocess.Popen([sys.executable, "-c", _SCRIPT, mode], env=env, text=True,
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    outputs = [process.communicate(timeout=120) for process in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    return [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]


@pytest.mark.slow  # two processes import Lightning
def test_rank_0_decides_and_the_others_follow() -> None:
    ranks = _two_ranks("ok")
    assert [r["value"] for r in ranks] == ["/runs/2026-01-01_00-00-00"] * 2
    assert [r["here"] for r in ranks] == [2, 2]  # both "nodes" on this machine


@pytest.mark.slow
def test_rank_0_failing_to_decide_points_the_others_to_its_output() -> None:
    ranks = _two_ranks("fail")
    assert ranks[0]["value"] == "error: resume=true: no run to continue"
    assert ranks[1]["value"] == ("error: rank 0 could not choose the run dir (ConfigError): "
                                 "see rank 0's output (node 0)")


def test_one_process_decides_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TORCHELASTIC_RUN_ID", "SLURM_NTASKS"):
        monkeypatch.delenv(name, raising=False)
    assert external_launch() is None
    assert agreed("run_dir", lambda: "mine") == "mine"
