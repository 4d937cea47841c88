"""Two simulated nodes under torchrun against two processes on one node (``trainer=ddp_cpu``).

    uv run python benchmarks/torchrun_nodes.py                    # OMP_NUM_THREADS=1 and unset
    uv run python benchmarks/torchrun_nodes.py --threads 1 --epochs 4 data.num_train=4096

Both run the real ``nnframe cls train`` command with the same global batch (two processes of
``data.batch_size``), on this machine:

- ``ddp_cpu``: ``nnframe cls train trainer=ddp_cpu trainer.devices=2`` (Lightning starts rank 1
  and sets each process's threads to cores / 2 when ``OMP_NUM_THREADS`` is unset);
- ``torchrun 2 nodes``: two ``torchrun --nnodes=2 --nproc-per-node=1 --node-rank={0,1}`` launches
  with ``trainer=ddp_cpu trainer.devices=1 trainer.num_nodes=2`` (rendezvous over 127.0.0.1;
  nnframe sets threads to cores / processes on the node when ``OMP_NUM_THREADS`` is unset, which is
  all the cores for each of the two "nodes" here: two real nodes each have their own).

Training img/s is read from rank 0's epoch lines (``epoch N: ... img/s over 2 processes``), the
median over the epochs after the first. Prints one Markdown table with the load average: the
machine may be shared, so compare the ratio within a row pair, measured back to back.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

SIZES = ["data.num_train=2048", "data.num_val=64", "data.num_test=32", "data.image_size=32", "data.batch_size=32",
         "test=false"]
_EPOCH = re.compile(r"^epoch (\d+): .* ([0-9.]+) img/s", re.MULTILINE)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _img_per_s(output: str) -> float:
    rates = [float(rate) for epoch, rate in _EPOCH.findall(output) if int(epoch) > 0]
    if not rates:
        raise RuntimeError(f"no epoch lines after the first in the output:\n{output[-3000:]}")
    return statistics.median(rates)


def _env(workdir: Path, threads: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    env["NNFRAME_OUTPUT_DIR"] = str(workdir / "outputs")
    if threads is not None:
        env["OMP_NUM_THREADS"] = threads
    return env


def ddp_cpu(workdir: Path, threads: str | None, overrides: list[str]) -> float:
    done = subprocess.run([sys.executable, "-m", "nnframe.core.cli", "cls", "train", "trainer=ddp_cpu",
                           "trainer.devices=2", *overrides], cwd=workdir, env=_env(workdir, threads),
                          capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(done.stdout[-3000:] + done.stderr[-3000:])
    return _img_per_s(done.stdout + done.stderr)


def torchrun_nodes(workdir: Path, threads: str | None, overrides: list[str]) -> float:
    torchrun = Path(sys.executable).with_name("torchrun")
    port = _free_port()
    nodes = [subprocess.Popen([str(torchrun), "--nnodes=2", "--nproc-per-node=1", f"--node-rank={node}",
                               "--master-addr=127.0.0.1", f"--master-port={port}", "-m", "nnframe.core.cli", "cls",
                               "train", "trainer=ddp_cpu", "trainer.devices=1", "trainer.num_nodes=2", *overrides],
                              cwd=workdir, env=_env(workdir, threads), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for node in (0, 1)]
    outputs = [node.communicate()[0] for node in nodes]
    if any(node.returncode for node in nodes):
        raise RuntimeError(outputs[0][-3000:] + outputs[1][-3000:])
    return _img_per_s(outputs[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", nargs="+", default=["1", "unset"],
                        help="OMP_NUM_THREADS values to measure ('unset': leave it to nnframe/Lightning)")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("overrides", nargs="*", help="more overrides for both runs")
    args = parser.parse_args()
    overrides = [*SIZES, f"trainer.max_epochs={args.epochs}", *args.overrides]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for threads in args.threads:
            value = None if threads == "unset" else threads
            one_node = ddp_cpu(Path(tmp), value, overrides)
            two_nodes = torchrun_nodes(Path(tmp), value, overrides)
            rows.append((threads, one_node, two_nodes))
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}")
    print("| OMP_NUM_THREADS | ddp_cpu, 1 node x 2 (img/s) | torchrun, 2 nodes x 1 (img/s) | ratio |")
    print("|---|---|---|---|")
    for threads, one_node, two_nodes in rows:
        print(f"| {threads} | {one_node:.0f} | {two_nodes:.0f} | {one_node / two_nodes:.2f}x |")


if __name__ == "__main__":
    main()
