"""Interrupted runs: a SIGKILLed run resumes exactly, a mid-epoch crash resumes from its step
checkpoint, SIGTERM and Ctrl-C save a checkpoint, stop cleanly and print the command that
continues the run (which does), ``resume=true`` picks the run of the same config or refuses with
the candidates, a NaN loss never reaches last.ckpt.

Every installed task is run (its ``TaskSpec.smoke_overrides`` and ``monitor``), with this file's
sizes on top (8 steps per epoch, 2 epochs), so a task installed later is tested here with no edit.
The first task runs in the quick suite, the others with the slow tests; what is core's alone
(``CORE_ONLY``) runs for the first task."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from nnframe.core.errors import TrainingError
from nnframe.core.task_registry import discover_tasks
from nnframe.core.testing import compose_task_config
from nnframe.core.training import train

TASKS = discover_tasks()
# Tiny and deterministic; random augmentations stay on (random crop, flip) so that the
# RNG state really matters for an exact resume. On top of each task's smoke sizes.
SIZES = [
    "data.num_train=256",
    "data.num_val=32",
    "data.num_test=64",
    "data.batch_size=32",
    "trainer.max_epochs=2",
    "trainer.deterministic=true",
    "trainer.accelerator=cpu",
    "seed=7",
]


def _each_task(slow_beyond_the_first: bool = True) -> list:
    """Every installed task as a parameter; the ones after the first marked slow."""
    first = next(iter(TASKS))
    return [pytest.param(task, id=task, marks=pytest.mark.slow if slow_beyond_the_first and task != first else ())
            for task in TASKS]


# What core alone does, the same for every task (step checkpoints after a crash, each step logged
# once, the NaN checks, run folders and run.json records, the stop during the test): one task runs
# those tests. Every installed task runs the exact resume, its logs going on, SIGTERM and Ctrl-C
# with the command each prints, which depend on the task's module, data and config.
CORE_ONLY = [next(iter(TASKS))]


def tiny(task: str) -> list[str]:
    return [*TASKS[task].smoke_overrides, *SIZES]


def monitor(task: str) -> str:
    return TASKS[task].monitor


def _train(task: str, run_dir: Path, *overrides: str) -> dict[str, float]:
    return train(compose_task_config(TASKS[task].config_package, [*tiny(task), *overrides], output_dir=run_dir))


def _cli(task: str, run_dir: Path, *overrides: str) -> subprocess.CompletedProcess[str]:
    """``nnframe <task> train`` in a real process (``python -m nnframe.core.cli``)."""
    command = [sys.executable, "-m", "nnframe.core.cli", task, "train", *tiny(task), *overrides,
               f"hydra.run.dir={run_dir}"]
    # Same intra-op thread count as this process: float reductions differ between thread counts,
    # and another package's conftest may have changed it for the whole session.
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "OMP_NUM_THREADS": str(torch.get_num_threads())}
    return subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)


def _weights(path: Path) -> dict[str, torch.Tensor]:
    return torch.load(path, map_location="cpu", weights_only=False)["state_dict"]


def _scalar_steps(log_dir: Path, tag: str) -> list[int]:
    """Steps of ``tag`` over every event file of ``log_dir``, sorted: TensorBoard orders the
    files by creation second, then host and pid, so a resumed run that logs within the same
    second as the killed one may be read first (the UI plots by step either way)."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(log_dir)).Reload()
    return sorted(event.step for event in events.Scalars(tag))


def _csv_rows(run_dir: Path) -> list[tuple[int, list[str]]]:
    """``(step, logged metric names)`` of each row of the run's ``metrics.csv``."""
    with (run_dir / "csv" / "metrics.csv").open(newline="") as file:
        return [(int(row.pop("step")), sorted(k for k, v in row.items() if v)) for row in csv.DictReader(file)]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[dict[str, float], Path]]:
    """``task -> (metrics, run dir)`` of the task's uninterrupted run, trained on first use."""
    return {}


def _uninterrupted(task: str, runs: dict[str, tuple[dict[str, float], Path]],
                   tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, float], Path]:
    if task not in runs:
        run_dir = tmp_path_factory.mktemp(f"uninterrupted_{task}")
        runs[task] = (_train(task, run_dir, "logger=many"), run_dir)
    return runs[task]


@pytest.mark.parametrize("task", _each_task())
def test_sigkill_at_epoch_boundary_then_resume_is_exact(task: str, uninterrupted, tmp_path_factory,
                                                        tmp_path: Path) -> None:
    metrics, reference_dir = _uninterrupted(task, uninterrupted, tmp_path_factory)
    killed = _cli(task, tmp_path, "+callbacks.kill._target_=nnframe.core.testing.SignalCallback",
                  "+callbacks.kill.signal=SIGKILL", "+callbacks.kill.at_epoch=1")
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert torch.load(tmp_path / "checkpoints" / "last.ckpt", weights_only=False)["epoch"] == 0

    resumed = _train(task, tmp_path, "resume=true")

    assert resumed == metrics
    expected = _weights(reference_dir / "checkpoints" / "last.ckpt")
    got = _weights(tmp_path / "checkpoints" / "last.ckpt")
    assert expected.keys() == got.keys()
    for name in expected:
        assert torch.equal(expected[name], got[name]), name
    # The TensorBoard run goes on in the same folder at the right steps: no epoch lost or doubled.
    steps = _scalar_steps(tmp_path / "tensorboard", monitor(task))
    assert steps == _scalar_steps(reference_dir / "tensorboard", monitor(task))


@pytest.mark.parametrize("task", _each_task())
def test_resumed_run_continues_its_csv_and_tensorboard_logs(task: str, uninterrupted, tmp_path_factory,
                                                            tmp_path: Path) -> None:
    _, reference_dir = _uninterrupted(task, uninterrupted, tmp_path_factory)
    _train(task, tmp_path, "logger=many", "trainer.max_epochs=1")
    _train(task, tmp_path, "logger=many", "resume=true")  # on to trainer.max_epochs=2

    # metrics.csv keeps the first epoch's rows and goes on at the restored step: the same rows
    # (steps and metrics) as the uninterrupted run's, none lost or doubled.
    assert [p.name for p in (tmp_path / "csv").iterdir()] == ["metrics.csv"]
    rows = _csv_rows(tmp_path)
    assert rows == _csv_rows(reference_dir)
    assert {step for step, names in rows if monitor(task) in names} == {7, 15}
    # TensorBoard: the resumed run's event files sit next to the first run's (no version folder;
    # only the `test` sub-run of the test metrics), steps going on. Folders without event files
    # are no runs (ssl's embedding projector writes one per step).
    sub_runs = [p.name for p in (tmp_path / "tensorboard").iterdir() if list(p.glob("events.out.tfevents.*"))]
    assert sub_runs in ([], ["test"]), sub_runs
    for tag in (monitor(task), "train/loss_epoch"):
        assert _scalar_steps(tmp_path / "tensorboard", tag) == _scalar_steps(reference_dir / "tensorboard", tag)


def _checkpoint_step(path: Path) -> int:
    return int(torch.load(path, map_location="cpu", weights_only=False)["global_step"])


@pytest.mark.parametrize("task", _each_task())
def test_sigterm_saves_a_checkpoint_exits_cleanly_and_resumes(task: str, tmp_path: Path) -> None:
    # A real SIGTERM to this process after step 5 (mid-epoch 0: 8 steps per epoch).
    handler_before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(SystemExit) as stop:
        _train(task, tmp_path, "trainer.max_epochs=2",
               "+callbacks.term._target_=nnframe.core.testing.SignalCallback",
               "+callbacks.term.signal=SIGTERM", "+callbacks.term.at_step=5")
    assert stop.value.code == 143
    assert _checkpoint_step(tmp_path / "checkpoints" / "last.ckpt") == 5
    assert signal.getsignal(signal.SIGTERM) == handler_before  # Lightning's handler is gone again

    finished = _train(task, tmp_path, "resume=true")
    assert finished[monitor(task)] >= 0  # goes on from step 5 to the end
    assert _checkpoint_step(tmp_path / "checkpoints" / "last.ckpt") == 16
    # Resuming a finished run trains nothing and reports the validation metrics of its weights
    # (the monitored one, and the validation loss where the task has one: ssl's kNN has none).
    reported = set(_train(task, tmp_path, "resume=true"))
    assert {monitor(task)} | ({"val/loss"} & set(finished)) <= reported, reported


@pytest.mark.parametrize("task", CORE_ONLY)
def test_crash_mid_epoch_resumes_from_the_step_checkpoint(task: str, tmp_path: Path) -> None:
    steps = ["trainer.max_epochs=2", "callbacks.checkpoint.every_n_train_steps=3"]
    with pytest.raises(RuntimeError, match="injected crash"):
        _train(task, tmp_path, *steps, "+callbacks.crash._target_=nnframe.core.testing.CrashCallback",
               "+callbacks.crash.at_step=5")
    last = tmp_path / "checkpoints" / "last.ckpt"
    # The step checkpoint in the middle of epoch 0, before the monitored metric exists.
    assert _checkpoint_step(last) == 3

    metrics = _train(task, tmp_path, *steps, "resume=true")

    assert _checkpoint_step(last) == 16
    assert 0.0 <= metrics[monitor(task)] <= 1.0


@pytest.mark.parametrize("task", CORE_ONLY)
def test_resume_from_a_step_checkpoint_logs_each_step_once(task: str, tmp_path: Path) -> None:
    # Crash after step 5 with the last checkpoint after step 3. Lightning logs batch b at step b,
    # so the crashed run logged step 3 (a batch after the checkpoint; batch 4 crashed before its
    # log) and the resumed run logs it again: the logs must hold each step once.
    steps = ["trainer.max_epochs=1", "callbacks.checkpoint.every_n_train_steps=3", "logger=many",
             "trainer.log_every_n_steps=1", "+logger.csv.flush_logs_every_n_steps=1"]
    with pytest.raises(RuntimeError, match="injected crash"):
        _train(task, tmp_path, *steps, "+callbacks.crash._target_=nnframe.core.testing.CrashCallback",
               "+callbacks.crash.at_step=5")
    assert _checkpoint_step(tmp_path / "checkpoints" / "last.ckpt") == 3
    assert 3 in {step for step, names in _csv_rows(tmp_path) if "train/loss_step" in names}

    _train(task, tmp_path, *steps, "resume=true")

    csv_steps = [step for step, names in _csv_rows(tmp_path) if "train/loss_step" in names]
    assert csv_steps == list(range(8)), csv_steps  # one row per training step, 8 steps per epoch
    tensorboard_steps = _scalar_steps(tmp_path / "tensorboard", "train/loss_step")
    assert tensorboard_steps == list(range(8)), tensorboard_steps


@pytest.mark.parametrize("task", CORE_ONLY)
def test_nan_loss_stops_with_the_step_and_keeps_the_last_good_checkpoint(task: str, tmp_path: Path) -> None:
    with pytest.raises(TrainingError, match=r"step 10 .*last good checkpoint is .*last\.ckpt") as error:
        _train(task, tmp_path, "trainer.max_epochs=2",
               "+callbacks.poison._target_=nnframe.core.testing.PoisonWeightsCallback",
               "+callbacks.poison.at_step=10")
    assert "nan" in str(error.value)
    last = torch.load(tmp_path / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    assert last["global_step"] == 8
    assert all(torch.isfinite(w).all() for w in last["state_dict"].values() if w.is_floating_point())


@pytest.mark.parametrize("task", CORE_ONLY)
def test_deferred_nan_check_names_the_first_bad_step_and_writes_no_nan_checkpoint(task: str, tmp_path: Path) -> None:
    # The accelerator mode (no synchronisation per step), run on the CPU: the record is read
    # every 4 steps and before each checkpoint, which therefore never holds NaN weights.
    with pytest.raises(TrainingError, match=r"step 10 .*last good checkpoint is .*last\.ckpt"):
        _train(task, tmp_path, "trainer.max_epochs=2", "callbacks.finite_loss.defer=true",
               "callbacks.finite_loss.check_every_n_steps=4",
               "+callbacks.poison._target_=nnframe.core.testing.PoisonWeightsCallback",
               "+callbacks.poison.at_step=10")
    last = torch.load(tmp_path / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    assert last["global_step"] == 8  # the step-12 save found the record of step 10 and stopped
    assert all(torch.isfinite(w).all() for w in last["state_dict"].values() if w.is_floating_point())


# --- through the command line: Ctrl-C, the command it prints, resume=true picking its run -------

def _nnframe(outputs: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``nnframe <args>`` in a new process, runs under ``outputs`` (NNFRAME_OUTPUT_DIR)."""
    env = {**os.environ, "NNFRAME_OUTPUT_DIR": str(outputs), "OMP_NUM_THREADS": str(torch.get_num_threads())}
    return subprocess.run([sys.executable, "-m", "nnframe.core.cli", *args], capture_output=True, text=True,
                          timeout=300, env=env, cwd=outputs.parent)


def _printed_command(output: str, prefix: str) -> list[str]:
    """The words after ``nnframe`` of the first line starting with ``prefix``."""
    import shlex

    line = next(line.strip() for line in output.splitlines() if line.strip().startswith(prefix))
    words = shlex.split(line[len(prefix):])
    assert words[0] == "nnframe", line
    return words[1:]


def _runs_dir(outputs: Path, task: str) -> Path:
    """Where ``nnframe <task> train`` with the tiny sizes puts its runs (its run name's folder)."""
    return outputs / task / "train" / compose_task_config(TASKS[task].config_package, tiny(task)).run_name


def _ctrl_c_run(task: str, tmp_path: Path, when: str) -> tuple[Path, str, Path, Path]:
    """``nnframe <task> train`` that gets Ctrl-C once (``when``: a SignalCallback option such as
    ``at_step=5``) and exits with 130: ``(outputs, its output, run folder, last.ckpt)``."""
    outputs = tmp_path / "outputs"
    once = tmp_path / "interrupted_once"
    run = [task, "train", *tiny(task), "+callbacks.stop._target_=nnframe.core.testing.SignalCallback",
           "+callbacks.stop.signal=SIGINT", f"+callbacks.stop.{when}", f"+callbacks.stop.once_file={once}"]
    stopped = _nnframe(outputs, *run)
    output = stopped.stdout + stopped.stderr
    assert stopped.returncode == 130, output[-3000:]
    (run_dir,) = _runs_dir(outputs, task).iterdir()
    return outputs, output, run_dir, run_dir / "checkpoints" / "last.ckpt"


@pytest.mark.slow
@pytest.mark.parametrize("task", TASKS)
def test_ctrl_c_saves_says_how_to_continue_and_that_command_continues(task: str, tmp_path: Path) -> None:
    outputs, output, run_dir, last = _ctrl_c_run(task, tmp_path, "at_step=5")
    assert _checkpoint_step(last) == 5  # the step that finished when Ctrl-C came (8 steps per epoch)
    assert f"stopped by Ctrl-C (SIGINT) during training at epoch 0, step 5\nsaved {last}" in output
    record = json.loads((run_dir / "run.json").read_text())
    assert (record["status"], record["signal"], record["step"]) == ("interrupted", "SIGINT", 5)
    assert "Traceback" not in output and "Epoch 0/1" not in output  # no half-drawn bar left behind
    assert (run_dir / "run.json").stat().st_mode & 0o777 == 0o666 & ~_umask()

    resumed = _nnframe(outputs, *_printed_command(output, "continue:"))
    resumed_output = resumed.stdout + resumed.stderr
    assert resumed.returncode == 0, resumed_output[-3000:]
    assert [p.name for p in _runs_dir(outputs, task).iterdir()] == [run_dir.name]  # same run
    assert _checkpoint_step(last) == 16 and json.loads((run_dir / "run.json").read_text())["status"] == "completed"
    # The resumed, partial epoch is timed from its first batch (not from the machine's boot).
    line = next(line for line in resumed_output.splitlines() if line.startswith("epoch 0 (resumed at batch 5):"))
    seconds = float(line.split(": ")[1].split(" s,")[0])
    assert 0 < seconds < 120 and "100% waiting for data" not in line, line


@pytest.mark.slow
@pytest.mark.parametrize("task", CORE_ONLY)
def test_ctrl_c_during_the_test_names_the_last_checkpoint_and_its_command_runs_the_test(task: str,
                                                                                      tmp_path: Path) -> None:
    """Training is over and last.ckpt written: the stop says so (not "no checkpoint") and the
    printed command runs the test it cut short, without another training step."""
    outputs, output, run_dir, last = _ctrl_c_run(task, tmp_path, "at_test_batch=0")
    assert (f"stopped by Ctrl-C (SIGINT) during the test at epoch 2, step 16\n"
            f"{last} is up to date (no step since it was written)") in output, output[-3000:]
    assert "no checkpoint" not in output
    record = json.loads((run_dir / "run.json").read_text())
    assert record["status"] == "interrupted" and not any(k.startswith("test/") for k in record["metrics"])

    resumed = _nnframe(outputs, *_printed_command(output, "continue:"))
    resumed_output = resumed.stdout + resumed.stderr
    assert resumed.returncode == 0, resumed_output[-3000:]
    assert _checkpoint_step(last) == 16  # no step more
    record = json.loads((run_dir / "run.json").read_text())
    assert record["status"] == "completed" and "test/" + monitor(task).split("/", 1)[1] in record["metrics"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.mark.slow
@pytest.mark.parametrize("task", CORE_ONLY)
def test_resume_picks_the_run_of_the_same_config_and_refuses_with_the_candidates(task: str, tmp_path: Path) -> None:
    outputs = tmp_path / "outputs"
    lr_key = str(compose_task_config(TASKS[task].config_package).tune.lr_key)  # e.g. model.optimizer.lr
    one_epoch = [task, "train", *tiny(task), "trainer.max_epochs=1"]
    for lr in ("0.01", "0.02"):  # two runs of different configs under the same run name; 0.02 is newer
        assert _nnframe(outputs, *one_epoch, f"{lr_key}={lr}").returncode == 0
    runs = sorted(_runs_dir(outputs, task).iterdir())
    assert len(runs) == 2

    # resume=true continues the run started with the same overrides (max_epochs may differ), not the newest.
    resumed = _nnframe(outputs, task, "train", *tiny(task), f"{lr_key}=0.01", "resume=true")
    assert resumed.returncode == 0, (resumed.stdout + resumed.stderr)[-3000:]
    assert _checkpoint_step(runs[0] / "checkpoints" / "last.ckpt") == 16
    assert _checkpoint_step(runs[1] / "checkpoints" / "last.ckpt") == 8

    # No run of this config: a refusal listing the runs there and how to continue each.
    refused = _nnframe(outputs, task, "train", *tiny(task), f"{lr_key}=0.05", "resume=true")
    message = refused.stdout + refused.stderr
    assert refused.returncode == 2 and "Traceback" not in message, message[-3000:]
    assert message.count("nnframe: error: resume=true: no run under") == 1
    assert runs[0].name in message and runs[1].name in message and f"{lr_key}=0.02" in message
    assert len(list(_runs_dir(outputs, task).iterdir())) == 2  # nothing started

    # Following its hint for the 0.02 run continues that run (for one more epoch: it had finished
    # its trainer.max_epochs=1, and max_epochs is one of the keys a resumption may change).
    lines = message.splitlines()
    hint = lines[next(i for i, line in enumerate(lines) if runs[1].name in line) + 1]
    followed = _nnframe(outputs, *_printed_command(hint, "continue it:"), "trainer.max_epochs=2")
    assert followed.returncode == 0, (followed.stdout + followed.stderr)[-3000:]
    assert _checkpoint_step(runs[1] / "checkpoints" / "last.ckpt") == 16


@pytest.mark.slow
@pytest.mark.parametrize("task", CORE_ONLY)
def test_a_crash_records_failed_with_the_error(task: str, tmp_path: Path) -> None:
    outputs = tmp_path / "outputs"
    crashed = _nnframe(outputs, task, "train", *tiny(task),
                       "+callbacks.crash._target_=nnframe.core.testing.CrashCallback", "+callbacks.crash.at_step=3")
    assert crashed.returncode == 1
    (run_dir,) = _runs_dir(outputs, task).iterdir()
    record = json.loads((run_dir / "run.json").read_text())
    assert record["status"] == "failed" and "RuntimeError: injected crash after step 3" in record["error"]
