"""A SLURM job started again after a requeue (``SLURM_RESTART_COUNT`` > 0) continues the newest run
of its command, as ``resume=true`` does, and starts a new one when it had saved none, instead of
refusing as ``resume=true`` does when other runs are there."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hydra.core.hydra_config import HydraConfig

from nnframe.core import resolvers

COMMAND = ["trainer=ddp", "model.optimizer.lr=0.01"]


@pytest.fixture(autouse=True)
def _command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(HydraConfig.instance(), "cfg", None)
    monkeypatch.setattr(resolvers, "_exit_on_error", False)
    monkeypatch.setattr(resolvers, "_command_line_overrides", lambda: list(COMMAND))
    monkeypatch.setattr(resolvers, "_run_dirs", {})
    for name in ("SLURM_NTASKS", "TORCHELASTIC_RUN_ID"):  # one process: no agreement between processes
        monkeypatch.delenv(name, raising=False)


def _run(base: Path, name: str, overrides: list[str]) -> Path:
    (base / name / "checkpoints").mkdir(parents=True)
    (base / name / "checkpoints" / "last.ckpt").write_bytes(b"x")
    (base / name / ".hydra").mkdir()
    (base / name / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
    return base / name


def test_a_requeued_job_continues_its_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mine = _run(tmp_path, "2026-01-01_00-00-00", COMMAND)
    _run(tmp_path, "2026-01-02_00-00-00", ["model.optimizer.lr=0.1"])
    assert Path(resolvers.run_dir(str(tmp_path))).parent == tmp_path  # first start: a new run
    monkeypatch.setattr(resolvers, "_run_dirs", {})
    monkeypatch.setenv("SLURM_RESTART_COUNT", "1")
    assert resolvers.run_dir(str(tmp_path)) == str(mine)


def test_a_requeued_job_that_saved_nothing_starts_a_new_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = _run(tmp_path, "2026-01-02_00-00-00", ["model.optimizer.lr=0.1"])
    monkeypatch.setenv("SLURM_RESTART_COUNT", "1")
    new = Path(resolvers.run_dir(str(tmp_path)))
    assert new.parent == tmp_path and new != other
    monkeypatch.setattr(resolvers, "_run_dirs", {})
    with pytest.raises(Exception, match="no run under .* was started with this command's overrides"):
        resolvers.run_dir(str(tmp_path), resume=True)  # resume=true asked for: refused, with the runs listed
