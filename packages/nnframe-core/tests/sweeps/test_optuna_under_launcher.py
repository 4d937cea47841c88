"""An Optuna study started by torchrun or srun is refused before any trial: every process would ask
the study for a trial of its own, so one DDP job would train different hyperparameters on each
rank. (The hint, the study started without torchrun, is what tests/test_sweeps.py runs.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from nnframe.core import cli

# What torchrun sets for rank 1 of 2 (Lightning's TorchElasticEnvironment reads these).
TORCHRUN_RANK_1 = {"TORCHELASTIC_RUN_ID": "test", "RANK": "1", "LOCAL_RANK": "1", "GROUP_RANK": "0",
                   "WORLD_SIZE": "2", "LOCAL_WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "1",
                   "OMP_NUM_THREADS": "1"}


def test_an_optuna_study_under_torchrun_is_refused_with_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("NNFRAME_OUTPUT_DIR", str(tmp_path / "outputs"))
    for key, value in TORCHRUN_RANK_1.items():
        monkeypatch.setenv(key, value)
    code = cli.main(["cls", "train", "hparams_search=optuna", "hydra.sweeper.n_trials=1", "data.num_train=32"])
    error = capsys.readouterr().err
    assert code == 2, error[-2000:]
    assert "nnframe: error: an Optuna study (hparams_search) cannot run under torchrun or srun" in error
    assert "start the study without torchrun or srun" in error
    assert not list((tmp_path / "outputs").rglob("trial_*"))  # no trial started
