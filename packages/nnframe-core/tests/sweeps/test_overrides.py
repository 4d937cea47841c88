"""Which overrides are hyperparameters, which a sweep varies, and the names of its job directories."""

from __future__ import annotations

import pytest

from nnframe.core.sweeps import (
    SweptKeysCallback,
    current_swept_keys,
    hparam_overrides,
    job_dirname,
    swept_keys,
)
from nnframe.core.sweeps.overrides import SWEPT_KEYS_ENV


def test_hparam_overrides_leave_out_how_a_run_is_made() -> None:
    overrides = ["action=train", "model.optimizer.lr=0.01", "+model.drop_rate=0.1", "resume=true",
                 "paths.data_dir=/data", "hydra.job.chdir=true", "hparams_search=optuna", "model=timm",
                 "~callbacks.early_stopping", "logger=many", "seed=3"]
    assert hparam_overrides(overrides) == {"model.optimizer.lr": "0.01", "model.drop_rate": "0.1", "model": "timm",
                                           "seed": "3"}


def test_swept_keys_of_a_grid_and_of_an_optuna_search_space() -> None:
    grid = ["model.optimizer.lr=1e-3,1e-2", "data.batch_size=32", "seed=range(1,3)", "action=train"]
    assert swept_keys(grid) == ["model.optimizer.lr", "seed"]
    optuna = {"model.optimizer.lr": "tag(log, interval(1e-4, 1e-1))", "model.optimizer.weight_decay": "interval(0, 0.1)"}
    assert swept_keys(["data.batch_size=choice(32,64)", "trainer.max_epochs=3"], optuna) == [
        "data.batch_size", "model.optimizer.lr", "model.optimizer.weight_decay"]


def test_job_dirname_names_the_swept_values_and_stays_one_valid_directory() -> None:
    job = ["action=train", "model.optimizer.lr=0.001", "trainer.max_epochs=3", "data.batch_size=64"]
    assert job_dirname(0, job, swept=["model.optimizer.lr", "data.batch_size"]) == \
        "0_model.optimizer.lr=0.001,data.batch_size=64"
    # Unknown sweep: every hyperparameter override; none at all: the job number.
    assert job_dirname(2, job, swept=None) == "2_model.optimizer.lr=0.001,trainer.max_epochs=3,data.batch_size=64"
    assert job_dirname(1, ["action=train"], swept=[]) == "1"
    # Optuna's samples are cut to 4 digits, paths lose their slashes, long names are cut.
    assert job_dirname(3, ["model.optimizer.lr=0.00123456789012"], swept=["model.optimizer.lr"]) == \
        "3_model.optimizer.lr=0.001235"
    assert job_dirname(4, ["data.root=/data/a b"], swept=["data.root"]) == "4_data.root=-data-a b"
    long = job_dirname(5, [f"model.k{i}=value{i}" for i in range(40)], swept=None)
    assert len(long) <= 125 and long.endswith("...") and "/" not in long


def test_swept_keys_callback_passes_the_sweep_to_its_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    from omegaconf import OmegaConf

    monkeypatch.delenv(SWEPT_KEYS_ENV, raising=False)
    config = OmegaConf.create({"hydra": {"overrides": {"task": ["model.optimizer.lr=1e-3,1e-2", "seed=1"]},
                                         "sweeper": {"params": None}}})
    callback = SweptKeysCallback()
    callback.on_multirun_start(config)
    assert current_swept_keys() == ["model.optimizer.lr"]
    assert job_dirname(0, ["model.optimizer.lr=0.001", "seed=1"]) == "0_model.optimizer.lr=0.001"
    callback.on_multirun_end(config)
    assert current_swept_keys() is None
