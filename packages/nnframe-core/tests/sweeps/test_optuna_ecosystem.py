"""``hparams_search=optuna`` runs on current Optuna and SQLAlchemy 2, although hydra-optuna-sweeper 1.3
declares ``optuna<3``: the root ``pyproject.toml`` lifts that pin (``[tool.uv] override-dependencies``),
and the samplers the README names still work (CMA-ES needs ``cmaes``, optional since Optuna 3)."""

from __future__ import annotations

import warnings

import optuna
import sqlalchemy
from hydra.utils import instantiate
from hydra_plugins.hydra_optuna_sweeper.config import CmaEsSamplerConfig
from omegaconf import OmegaConf
from packaging.version import Version


def test_the_lock_holds_current_optuna_and_sqlalchemy() -> None:
    assert Version(optuna.__version__) >= Version("4"), (
        f"optuna {optuna.__version__}: hydra-optuna-sweeper's optuna<3 pin is back; keep "
        "override-dependencies in the root pyproject.toml")
    assert Version(sqlalchemy.__version__) >= Version("2"), f"SQLAlchemy {sqlalchemy.__version__}"


def test_the_cmaes_sampler_of_the_sweeper_samples() -> None:
    # hydra/sweeper/sampler=cmaes, as the sweeper builds it (its arguments warn on Optuna 4.4+)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        sampler = instantiate(OmegaConf.structured(CmaEsSamplerConfig(seed=0)))
    study = optuna.create_study(sampler=sampler)
    with warnings.catch_warnings():
        # "CmaEsSampler ... falls back to RandomSampler" would mean the CMA-ES model never ran
        warnings.simplefilter("error", UserWarning)
        study.optimize(lambda t: (t.suggest_float("x", -1, 1) - 0.3) ** 2 + t.suggest_float("y", -1, 1) ** 2,
                       n_trials=6)
    assert [t.state for t in study.trials] == [optuna.trial.TrialState.COMPLETE] * 6
