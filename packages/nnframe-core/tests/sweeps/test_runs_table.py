"""``nnframe runs``: ranking by the optimized metric in its direction, failed and unfinished runs
last, only the hyperparameters that differ; and the Optuna direction from ``monitor_mode``."""

from __future__ import annotations

from pathlib import Path

import yaml
from hydra_plugins.nnframe_sweepers.resumable_optuna_sweeper import _direction

from nnframe.core.cli import main
from nnframe.core.sweeps import collect_runs, format_runs_table, write_run_record


def _fake_run(run_dir: Path, overrides: list[str], status: str | None, loss: float | None = None) -> None:
    (run_dir / ".hydra").mkdir(parents=True)
    (run_dir / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(["action=train", *overrides]))
    (run_dir / ".hydra" / "config.yaml").write_text(
        yaml.safe_dump({"monitor": "val/loss", "monitor_mode": "min", "optimized_metric": "${monitor}"}))
    if status == "completed":
        write_run_record(run_dir, status, {"val/loss": loss, "train/loss": 2 * loss})
    elif status == "failed":
        write_run_record(run_dir, status, error="ConfigError: bad lr")


def test_runs_are_ranked_in_the_monitor_direction(tmp_path: Path, capsys) -> None:
    _fake_run(tmp_path / "0", ["model.optimizer.lr=0.1", "seed=1"], "completed", loss=0.9)
    _fake_run(tmp_path / "1", ["model.optimizer.lr=0.01", "seed=1"], "completed", loss=0.3)
    _fake_run(tmp_path / "2", ["model.optimizer.lr=-1", "seed=1"], "failed")
    _fake_run(tmp_path / "3", ["model.optimizer.lr=0.001", "seed=1"], None)  # killed: no run.json
    (tmp_path / "3" / "checkpoints").mkdir()
    (tmp_path / "3" / "checkpoints" / "last.ckpt").write_bytes(b"x")  # after its first checkpoint
    _fake_run(tmp_path / "4", ["model.optimizer.lr=0.5", "seed=1"], "completed", loss=float("nan"))

    rows = collect_runs(tmp_path)
    assert [(r.path.name, r.status) for r in rows] == [
        ("1", "completed"), ("0", "completed"), ("4", "completed"), ("2", "failed"), ("3", "incomplete")]
    table = format_runs_table(rows, tmp_path)
    header = table.splitlines()[0].split()
    assert header[:4] == ["#", "run", "status", "model.optimizer.lr"] and "seed" not in header  # same everywhere
    assert header[4] == "val/loss"
    assert "best (min val/loss):" in table and "failed: 2: ConfigError: bad lr" in table

    assert main(["runs", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip() == table
    assert main(["runs", str(tmp_path / "nothing")]) == 2
    assert "is not a directory" in capsys.readouterr().err


def test_optuna_direction_follows_monitor_mode() -> None:
    assert _direction("max") == "maximize" and _direction("min") == "minimize"
    assert _direction(["min", "max"]) == ["minimize", "maximize"] and _direction("maximize") == "maximize"


def test_runs_killed_before_saving_anything_are_counted_not_listed(tmp_path: Path, capsys) -> None:
    _fake_run(tmp_path / "0", ["model.optimizer.lr=0.1"], "completed", loss=0.9)
    _fake_run(tmp_path / "1", ["model.optimizer.lr=0.2"], None)  # killed before its first step
    (tmp_path / "1" / "cls_train.log").write_text("GPU available: False\n")

    assert [row.path.name for row in collect_runs(tmp_path)] == ["0"]
    assert [row.path.name for row in collect_runs(tmp_path, include_empty=True)] == ["0", "1"]
    assert main(["runs", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "incomplete" not in out and "1 started run that saved nothing yet" in out
