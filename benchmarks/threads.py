"""Time the demos under three thread settings, alone and beside CPU-bound neighbours (issue 26).

    uv run python benchmarks/threads.py                          # cls, seg, ssl; 3 repeats
    uv run python benchmarks/threads.py --tasks cls --repeats 1  # one demo, once
    uv run python benchmarks/threads.py --neighbours 4 trainer.max_epochs=3   # overrides for every run

Each run is ``nnframe <task> train`` (``sys.executable -m nnframe.core.cli``) in a fresh process,
shrunk to 480-1600 training images, two epochs and no test (~20 s, most of it start-up), writing into a temporary
``NNFRAME_OUTPUT_DIR``. Settings:

- ``default``: torch's default thread count and OpenMP's default wait policy. The ``nnframe``
  command sets ``OMP_WAIT_POLICY=PASSIVE`` unless the variable is set (``os.environ.setdefault``
  in ``nnframe.core.cli.main``), so this setting passes it set but empty: the command keeps it, and
  GNU OpenMP reads an empty value as unset (after a one-line "Invalid value" warning on stderr).
- ``passive``: ``OMP_WAIT_POLICY=PASSIVE`` (what the command sets by default).
- ``one``: ``OMP_NUM_THREADS=1``.
- ``active`` (only with ``--settings``): ``OMP_WAIT_POLICY=ACTIVE``, threads that always spin.

Every setting runs alone, then beside ``--neighbours`` processes running
``python -c "while True: pass"`` (default: one per core), started before the block's first run and
stopped after its last. Runs are interleaved (A B C A B C ...: each repeat runs every setting once
per task and condition), so a drift of the machine's load favours no setting. The table gives,
per task and condition, the median over repeats of the last epoch's training img/s as its
``epoch N: ...`` line prints it, the median wall time of the run, and the img/s ratio to
``default``. A run that takes longer than ``--timeout`` is stopped, its wall time counted as the timeout
(its img/s from the last epoch line it printed, if any).
The load average is printed before and after (other people's jobs count in it: "alone" means no
neighbour of ours, not an idle machine).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SETTINGS: dict[str, dict[str, str]] = {
    "default": {"OMP_WAIT_POLICY": ""},
    "passive": {"OMP_WAIT_POLICY": "PASSIVE"},
    "one": {"OMP_NUM_THREADS": "1"},
    "active": {"OMP_WAIT_POLICY": "ACTIVE"},
}
LABELS = {"default": "default threads", "passive": "`OMP_WAIT_POLICY=PASSIVE`", "one": "`OMP_NUM_THREADS=1`",
          "active": "`OMP_WAIT_POLICY=ACTIVE`"}
# Each demo shrunk to ~10-20 s on a quiet 2-core CPU; the second epoch is the one read.
SHRINK: dict[str, list[str]] = {
    "cls": ["data.num_train=1600", "data.num_val=64", "trainer.max_epochs=2", "test=false"],
    "seg": ["data.num_train=480", "data.num_val=48", "trainer.max_epochs=2", "test=false"],
    "ssl": ["data.num_train=1024", "data.num_val=128", "trainer.max_epochs=2", "test=false"],
}
# Variables that would change a setting if inherited from the caller's shell.
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "MKL_NUM_THREADS", "GOMP_SPINCOUNT")
_IMG_S = re.compile(r"^epoch \d+: [\d.]+ s, .*? ([\d.]+) img/s", re.MULTILINE)


@dataclass
class Run:
    """One ``nnframe <task> train`` run under one setting."""

    task: str
    setting: str
    neighbours: int
    repeat: int
    img_s: float | None  # the last epoch's training img/s
    wall_s: float
    returncode: int | None  # None: stopped at the timeout


def run_once(task: str, setting: str, extra: list[str], output_root: Path, timeout: float) -> tuple[float | None, float, int | None, str]:
    """Run one demo in a fresh process: ``(last epoch img/s, wall s, exit code or None, output)``."""
    env = {k: v for k, v in os.environ.items() if k not in _THREAD_VARIABLES}
    env.update(SETTINGS[setting], NNFRAME_OUTPUT_DIR=str(output_root))
    command = [sys.executable, "-m", "nnframe.core.cli", task, "train", *SHRINK.get(task, []), *extra]
    start = time.perf_counter()
    try:
        result = subprocess.run(command, env=env, cwd=output_root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, timeout=timeout)
    except subprocess.TimeoutExpired as stopped:  # subprocess.run kills the child before raising
        output = stopped.stdout.decode(errors="replace") if isinstance(stopped.stdout, bytes) else (stopped.stdout or "")
        return _last_rate(output), time.perf_counter() - start, None, output
    wall = time.perf_counter() - start
    return _last_rate(result.stdout), wall, result.returncode, result.stdout


def _last_rate(output: str) -> float | None:
    rates = _IMG_S.findall(output)
    return float(rates[-1]) if rates else None


def start_neighbours(count: int) -> list[subprocess.Popen[bytes]]:
    """``count`` CPU-bound Python loops, each a process of its own."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]


def stop_neighbours(neighbours: list[subprocess.Popen[bytes]]) -> None:
    """Stop the loops this script started (by their process, nothing else)."""
    for process in neighbours:
        process.kill()
    for process in neighbours:
        process.wait()


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def markdown(runs: list[Run], tasks: list[str], settings: list[str], timeout: float) -> str:
    """Medians per task x condition x setting, and each setting's img/s ratio to the first setting."""
    header = "| demo | neighbours | " + " | ".join(LABELS[s] for s in settings) + " |"
    lines = [header, "|---" * (2 + len(settings)) + "|"]
    for task in tasks:
        for count in sorted({run.neighbours for run in runs}):
            cells = []
            base = None
            for setting in settings:
                group = [r for r in runs if (r.task, r.setting, r.neighbours) == (task, setting, count)]
                if not group:
                    cells.append("-")
                    continue
                rate = _median([r.img_s for r in group if r.img_s is not None])
                wall = _median([r.wall_s for r in group])
                stopped = sum(r.returncode is None for r in group)
                failed = sum(r.returncode not in (0, None) for r in group)
                cell = f"{rate:.0f} img/s" if rate is not None else "no epoch line"
                cell += f" ({wall:.1f} s)"
                if setting == settings[0]:
                    base = rate
                elif rate is not None and base:
                    cell += f", {rate / base:.2f}x"
                if stopped:
                    cell += f", {stopped} stopped at {timeout:.0f} s"
                if failed:
                    cell += f", {failed} failed"
                cells.append(cell)
            where = "none of ours" if count == 0 else f"{count} CPU-bound loops"
            lines.append(f"| `{task}` | {where} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> list[Run]:
    """Parse the command line, run the interleaved measurement and print the table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join((__doc__ or "").splitlines()[1:]))
    parser.add_argument("--tasks", default="cls,seg,ssl", help="comma-separated demos (default: cls,seg,ssl)")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repeats; the table shows medians (default: 3)")
    parser.add_argument("--neighbours", type=int, default=os.cpu_count() or 1,
                        help="CPU-bound loops beside the runs of the second condition (default: one per core); 0: alone only")
    parser.add_argument("--settings", default="default,passive,one",
                        help=f"comma-separated, the first is the ratios' base (from {', '.join(SETTINGS)}; default: default,passive,one)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds after which a run is stopped (default: 300)")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides added to every run (after the shrinking ones)")
    args = parser.parse_args(argv)
    tasks = [t for t in args.tasks.split(",") if t]
    settings = [s for s in args.settings.split(",") if s]
    unknown = [s for s in settings if s not in SETTINGS]
    if unknown:
        parser.error(f"unknown setting {', '.join(unknown)}: choose from {', '.join(SETTINGS)}")
    conditions = [0] + ([args.neighbours] if args.neighbours > 0 else [])
    print(f"load average before: {os.getloadavg()} on {os.cpu_count()} cores, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}", flush=True)
    # A SIGTERM (`timeout`, a scheduler) unwinds like Ctrl-C: the running demo and the neighbours are stopped.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    runs: list[Run] = []
    try:
        measure(runs, tasks, settings, conditions, list(args.overrides), args.timeout, args.repeats)
    except KeyboardInterrupt:
        print(f"stopped after {len(runs)} runs; the table has those", flush=True)
    print(f"load average after: {os.getloadavg()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n")
    print(markdown(runs, tasks, settings, args.timeout))
    return runs


def measure(runs: list[Run], tasks: list[str], settings: list[str], conditions: list[int], overrides: list[str],
            timeout: float, repeats: int) -> None:
    """Run every task x setting under every condition, ``repeats`` times interleaved, appending to ``runs``."""
    with tempfile.TemporaryDirectory(prefix="nnframe_threads_") as tmp:
        for repeat in range(repeats):
            for count in conditions:
                neighbours = start_neighbours(count)
                try:
                    for task in tasks:
                        for setting in settings:
                            out = Path(tmp) / f"{task}_{setting}_{count}_{repeat}"
                            out.mkdir()
                            img_s, wall, code, output = run_once(task, setting, overrides, out, timeout)
                            runs.append(Run(task, setting, count, repeat, img_s, wall, code))
                            if code not in (0, None):
                                print(output[-3000:], file=sys.stderr)
                            state = "stopped" if code is None else f"exit {code}"
                            rate = "-" if img_s is None else f"{img_s:.0f}"
                            print(f"repeat {repeat}, {count} neighbours, {task} {setting}: {rate} img/s, {wall:.1f} s, "
                                  f"{state}, load {os.getloadavg()[0]:.1f}", flush=True)
                finally:
                    stop_neighbours(neighbours)


if __name__ == "__main__":
    main()
