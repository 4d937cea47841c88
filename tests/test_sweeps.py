"""Sweeps through the real ``nnframe`` command: a grid multirun with one run directory and
TensorBoard run per job, an Optuna study that records a failed trial and resumes from SQLite,
a trial interrupted by Ctrl-C that the resumed study runs again, and ``nnframe runs`` ranking
the runs: for every installed task (its ``TaskSpec.smoke_overrides`` and ``monitor``, the learning
rate its config's ``tune.lr_key`` names), so a task installed later is swept here with no edit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import optuna
import pytest
from hydra_plugins.nnframe_sweepers.resumable_optuna_sweeper import INTERRUPTED_ATTR, finished_trials

from nnframe.core.cli import main
from nnframe.core.hydra_app import run_action
from nnframe.core.sweeps import collect_runs, format_runs_table
from nnframe.core.task_registry import discover_tasks
from nnframe.core.task_spec import ActionSpec
from nnframe.core.testing import compose_task_config

TASKS = discover_tasks()
# Two optimizer steps per epoch: a run takes a few seconds.
TRAIN = [
    "data.num_train=64",
    "data.num_val=32",
    "data.num_test=32",
    "data.batch_size=32",
    "trainer.max_epochs=1",
    "trainer.accelerator=cpu",
]


def tiny(task: str) -> list[str]:
    """The task's smoke sizes (image size, model widths), then this file's."""
    return [*TASKS[task].smoke_overrides, *TRAIN]


def lr_key(task: str) -> str:
    """The key of the task's learning rate (what ``nnframe <task> tune`` sets)."""
    return str(compose_task_config(TASKS[task].config_package).tune.lr_key)


def runs_dir(log_dir: Path, task: str) -> Path:
    """Where ``nnframe <task> train`` with the tiny sizes puts its runs (its run name's folder)."""
    return log_dir / task / "train" / compose_task_config(TASKS[task].config_package, tiny(task)).run_name


@pytest.fixture
def log_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Runs go under ``tmp_path`` (through the documented environment variable)."""
    monkeypatch.setenv("NNFRAME_OUTPUT_DIR", str(tmp_path))
    return tmp_path


@pytest.mark.slow
@pytest.mark.parametrize("task", TASKS)
def test_multirun_gives_each_run_its_own_directory_and_tensorboard_run(task: str, log_dir: Path, capsys) -> None:
    lr = lr_key(task)
    assert main([task, "train", "-m", f"{lr}=1e-3,1e-2", *tiny(task)]) == 0
    (sweep_dir,) = runs_dir(log_dir, task).glob("multirun_*")
    runs = sorted(p for p in sweep_dir.iterdir() if p.is_dir())
    # named after the value each job sweeps, so TensorBoard and `nnframe runs` tell them apart
    assert [p.name for p in runs] == [f"0_{lr}=0.001", f"1_{lr}=0.01"]
    for run in runs:
        assert list((run / "tensorboard").glob("events.out.tfevents.*")), f"no TensorBoard run in {run}"
        assert (run / "checkpoints" / "last.ckpt").is_file()
        assert json.loads((run / "run.json").read_text())["status"] == "completed"

    capsys.readouterr()
    assert main(["runs", str(sweep_dir)]) == 0
    table = capsys.readouterr().out
    assert lr in table and "0.001" in table and "0.01" in table
    rows = collect_runs(sweep_dir)
    scores = [row.score for row in rows]
    assert scores == sorted(scores, reverse=True)  # the monitor (val/acc ...) is maximised: best first


@pytest.mark.slow
def test_a_sweep_ends_with_its_table_and_prints_the_config_tree_once(log_dir: Path, capsys) -> None:
    assert main(["cls", "train", "-m", f"{lr_key('cls')}=1e-3,1e-2", *tiny("cls")]) == 0
    out = capsys.readouterr().out
    (sweep_dir,) = runs_dir(log_dir, "cls").glob("multirun_*")
    summary = out.split(f"sweep: 2 runs in {sweep_dir}\n", 1)[1]
    assert summary.splitlines()[0].split()[:3] == ["#", "run", "status"]
    assert format_runs_table(collect_runs(sweep_dir), sweep_dir) in summary
    assert summary.rstrip().endswith(f"again later: nnframe runs {sweep_dir}")
    # The first job prints the tree; the second, which differs only by its lr, points at its config.yaml.
    assert out.count("CONFIG") == 1
    second = sweep_dir / f"1_{lr_key('cls')}=0.01" / "config.yaml"
    assert f"config: {second} (the sweep's first job printed the tree)" in out


@pytest.mark.slow
@pytest.mark.parametrize("task", TASKS)
def test_optuna_study_records_a_failed_trial_and_counts_it(task: str, log_dir: Path) -> None:
    lr, study_name = lr_key(task), f"{task}_{runs_dir(log_dir, task).name}"  # e.g. cls_shapes
    study_dir = runs_dir(log_dir, task) / f"optuna_{study_name}"
    # Seed 0 samples the second choice first: lr=-1 is rejected, so that trial fails; the
    # study must go on and complete the second trial (lr=0.001).
    sweep = [task, "train", "hparams_search=optuna", "hydra/sweeper/sampler=random",
             "hydra.sweeper.sampler.seed=0", "hydra.sweeper.params=null", f"{lr}=choice(0.001,-1.0)",
             *tiny(task)]
    main([*sweep, "hydra.sweeper.n_trials=2"])
    storage = f"sqlite:///{study_dir / 'optuna.db'}"
    study = optuna.load_study(study_name=study_name, storage=storage)
    assert [t.state.name for t in study.trials] == ["FAIL", "COMPLETE"]
    assert study.best_trial.params == {lr: 0.001}
    failed = json.loads((study_dir / f"trial_0_{lr}=-1.0" / "run.json").read_text())
    assert failed["status"] == "failed" and "-1.0" in failed["error"]

    # Running it again with more trials resumes the study: the failed trial counts, only the
    # missing trial runs, in a new directory.
    main([*sweep, "hydra.sweeper.n_trials=3"])
    study = optuna.load_study(study_name=study_name, storage=storage)
    assert len(study.trials) == 3 and finished_trials(study) == 3
    trials = sorted(p.name for p in study_dir.glob("trial_*"))
    assert [name.split(f"_{lr}")[0] for name in trials] == ["trial_0", "trial_1", "trial_2"]
    assert trials[1] == f"trial_1_{lr}=0.001"  # named after the sampled value

    rows = collect_runs(study_dir)
    assert rows[-1].status == "failed" and rows[0].status == "completed"
    table = format_runs_table(rows, study_dir)
    assert f"best (max {TASKS[task].monitor}):" in table and f"failed: trial_0_{lr}=-1.0:" in table


def _nnframe(log_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NNFRAME_OUTPUT_DIR": str(log_dir), "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "nnframe.core.cli", *args], capture_output=True, text=True,
                          timeout=600, env=env, cwd=log_dir)


@pytest.mark.slow
# The resume is the sweeper's (core's), the same for every task: one task runs it (about two minutes
# on CI's 2 cores); every installed task runs a whole study in the failed-trial test above.
@pytest.mark.parametrize("task", ["cls"] if "cls" in TASKS else list(TASKS)[:1])
def test_optuna_trial_interrupted_by_ctrl_c_is_run_again_on_resume(task: str, log_dir: Path) -> None:
    study_name = f"{task}_{runs_dir(log_dir, task).name}"  # e.g. cls_shapes
    study_dir = runs_dir(log_dir, task) / f"optuna_{study_name}"
    # Ctrl-C (SIGINT) during the first trial, after its first step; once only.
    sweep = [task, "train", "hparams_search=optuna", "hydra.sweeper.n_trials=2", "hydra.sweeper.sampler.seed=0",
             *tiny(task), "+callbacks.stop._target_=nnframe.core.testing.SignalCallback",
             "+callbacks.stop.signal=SIGINT",
             "+callbacks.stop.at_step=1", f"+callbacks.stop.once_file={log_dir / 'interrupted_once'}"]
    first = _nnframe(log_dir, *sweep)
    assert first.returncode == 130, (first.stdout + first.stderr)[-3000:]
    storage = f"sqlite:///{study_dir / 'optuna.db'}"
    study = optuna.load_study(study_name=study_name, storage=storage)
    assert [t.state.name for t in study.trials] == ["RUNNING"]
    interrupted_params = study.trials[0].params
    (trial_0,) = study_dir.glob("trial_0_*")  # named after its sampled values
    assert json.loads((trial_0 / "run.json").read_text())["status"] == "interrupted"

    second = _nnframe(log_dir, *sweep)  # the same command resumes the study
    output = second.stdout + second.stderr
    assert second.returncode == 0, output[-3000:]
    study = optuna.load_study(study_name=study_name, storage=storage)
    assert [t.state.name for t in study.trials] == ["FAIL", "COMPLETE", "COMPLETE"]
    assert study.trials[0].user_attrs[INTERRUPTED_ATTR] is True
    assert study.trials[1].params == interrupted_params  # the interrupted trial, run again first
    assert finished_trials(study) == 2  # n_trials=2 finished trials; the interrupted one does not count
    assert sorted("_".join(p.name.split("_")[:2]) for p in study_dir.glob("trial_*")) == \
        ["trial_0", "trial_1", "trial_2"]
    # One line says what happened; no chatter from Optuna or Alembic, no colour codes in a log.
    assert output.count(f"Optuna study '{study_name}' resumed") == 1
    assert "1 interrupted trial(s) (#0) run again first" in output
    assert "A new study created" not in output and "Using an existing study" not in output
    assert "setup plugin" not in output and "\x1b[" not in output
    # nor the FutureWarnings of the sweeper's Optuna 2 calls on current Optuna (first run included)
    assert "FutureWarning" not in output + first.stderr
    assert f"Optuna study '{study_name}' created" in first.stdout + first.stderr


def _record_worker_command(cfg) -> float:
    """An action that records what a DDP worker of this job would re-run."""
    from hydra.core.hydra_config import HydraConfig

    _worker_commands.append((list(sys.argv), HydraConfig.get().run.dir, cfg.paths.output_dir))
    return 0.0


_worker_commands: list[tuple[list[str], str, str]] = []


@pytest.mark.parametrize("task", TASKS)
def test_ddp_workers_of_a_sweep_job_rerun_that_job_only(task: str, log_dir: Path) -> None:
    spec = replace(TASKS[task], actions={"train": ActionSpec(f"{__name__}:_record_worker_command", "")})
    _worker_commands.clear()
    assert run_action(spec, "train", ["-m", "seed=1,2", "trainer.max_epochs=3"]) == 0
    assert len(_worker_commands) == 2
    for argv, run_dir, output_dir in _worker_commands:
        # no -m, no sweep: the job's own values, and Lightning's hydra.run.dir is the job's directory
        assert argv[1:4] == [task, "train", argv[3]] and argv[3] in ("seed=1", "seed=2")
        assert argv[4:] == ["trainer.max_epochs=3"]
        assert run_dir == output_dir and Path(output_dir).parent.name.startswith("multirun_")
