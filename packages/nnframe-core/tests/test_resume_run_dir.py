"""``resume=true`` picks the newest run of the same task/action/run_name that has a last.ckpt and
was started with the same overrides (except those a resumption may change)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from hydra.core.hydra_config import HydraConfig

from nnframe.core import resolvers
from nnframe.core.data.loading.epoch_sampler import EpochSeededRandomSampler


@pytest.fixture(autouse=True)
def _outside_a_hydra_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """No command line being composed (another test's may still be in Hydra's global state)."""
    monkeypatch.setattr(HydraConfig.instance(), "cfg", None)
    monkeypatch.setattr(resolvers, "_exit_on_error", False)


def _run(base: Path, name: str, mtime: float | None = None, overrides: list[str] | None = None) -> Path:
    last = base / name / "checkpoints" / "last.ckpt"
    last.parent.mkdir(parents=True)
    last.write_bytes(b"x")
    if mtime is not None:
        os.utime(last, (mtime, mtime))
    if overrides is not None:
        (base / name / ".hydra").mkdir()
        (base / name / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
    return base / name


def test_resume_picks_the_latest_run_with_a_last_checkpoint(tmp_path: Path) -> None:
    _run(tmp_path, "2026-01-01_00-00-00", mtime=1_000)
    newest = _run(tmp_path, "2026-01-02_00-00-00", mtime=2_000)
    (tmp_path / "2026-01-03_00-00-00").mkdir()  # newer, but crashed before its first checkpoint
    assert resolvers.run_dir(str(tmp_path), resume=True) == str(newest)
    fresh = resolvers.run_dir(str(tmp_path), resume=False)
    assert Path(fresh).parent == tmp_path and Path(fresh).name.startswith("20") and not Path(fresh).exists()


def test_resume_picks_the_newest_run_started_with_the_same_overrides(tmp_path: Path) -> None:
    wanted = _run(tmp_path, "a", mtime=1_000, overrides=["model.optimizer.lr=0.01", "trainer.max_epochs=2"])
    _run(tmp_path, "b", mtime=2_000, overrides=["model.optimizer.lr=0.02"])
    _run(tmp_path, "c", mtime=3_000)  # overrides unknown: never picked
    # max_epochs, devices, num_workers, resume may differ; `+key` is `key`.
    same = ["+model.optimizer.lr=0.01", "trainer.max_epochs=5", "trainer.devices=2", "data.num_workers=0",
            "resume=true"]
    assert resolvers.latest_run_dir(tmp_path, same) == wanted
    assert resolvers.latest_run_dir(tmp_path, ["model.optimizer.lr=0.03"]) is None
    assert resolvers.resume_relevant(["a=1", "resume=true", "extras.print_config=false", "hydra.run.dir=x"]) == {
        "a=1"}


def test_resume_without_a_previous_run_starts_a_new_one(tmp_path: Path) -> None:
    assert Path(resolvers.run_dir(str(tmp_path / "none"), resume=True)).parent == tmp_path / "none"


def test_shuffle_and_worker_seeds_depend_only_on_seed_and_epoch() -> None:
    import torch

    data = range(50)
    walked, resumed = torch.Generator(), torch.Generator()
    sampler = EpochSeededRandomSampler(data, seed=3, loader_generator=walked)
    for epoch in range(3):
        sampler.set_epoch(epoch)
    order = list(sampler)
    worker_seed = torch.empty((), dtype=torch.int64).random_(generator=walked).item()
    # A resumed run builds its loader directly at epoch 2, before Lightning calls set_epoch.
    restarted = EpochSeededRandomSampler(data, seed=3, epoch=2, loader_generator=resumed)
    assert list(restarted) == order and order != list(EpochSeededRandomSampler(data, seed=3, epoch=1))
    assert torch.empty((), dtype=torch.int64).random_(generator=resumed).item() == worker_seed
