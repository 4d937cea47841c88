"""--config-dir / NNFRAME_CONFIG_DIR: flags made absolute, the project importable, the variable
set for the run's child processes and restored after."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from nnframe.core.errors import ConfigError
from nnframe.core.project_paths import CONFIG_DIR_ENV, config_dir_from_flags, project_hydra_flags


def test_config_dir_flag_forms() -> None:
    assert config_dir_from_flags(["-m", "--config-dir", "configs"]) == "configs"
    assert config_dir_from_flags(["--config-dir=configs"]) == "configs"
    assert config_dir_from_flags(["-cd", "a", "--cfg", "job"]) == "a"
    assert config_dir_from_flags(["--cfg", "job"]) is None


def test_flags_get_the_absolute_dir_and_the_project_goes_on_sys_path(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "project" / "configs").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "project")
    monkeypatch.delenv(CONFIG_DIR_ENV, raising=False)
    monkeypatch.setattr(sys, "path", list(sys.path))
    flags, env = project_hydra_flags(["-m", "-cd", "configs", "--cfg", "job"])
    configs = str((tmp_path / "project" / "configs").resolve())
    assert flags == ["-m", "--cfg", "job", "--config-dir", configs]
    # After the installed packages: a module of the project cannot shadow one of them.
    assert sys.path[-1] == str((tmp_path / "project").resolve())
    assert os.environ[CONFIG_DIR_ENV] == configs  # DDP workers re-run the command line with it
    env.restore()
    assert CONFIG_DIR_ENV not in os.environ


def test_environment_variable_and_missing_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "configs").mkdir()
    monkeypatch.setenv(CONFIG_DIR_ENV, str(tmp_path / "configs"))
    flags, env = project_hydra_flags([])
    assert flags == ["--config-dir", str((tmp_path / "configs").resolve())]
    env.restore()
    assert os.environ[CONFIG_DIR_ENV] == str(tmp_path / "configs")  # the user's own value stays
    monkeypatch.setenv(CONFIG_DIR_ENV, str(tmp_path / "nope"))
    with pytest.raises(ConfigError, match=f"{CONFIG_DIR_ENV}=.*nope: no such folder.*unset it"):
        project_hydra_flags([])
    with pytest.raises(ConfigError, match="--config-dir=missing: no such folder"):
        project_hydra_flags(["--config-dir", "missing"])
