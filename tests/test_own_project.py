"""`nnframe init` + `nnframe cls train --config-dir configs` from a folder outside the repository.

Through the real ``nnframe`` command in a subprocess, with the default callbacks, loggers and
progress bar (only the epochs shortened), no ``PYTHONPATH``: the project's own datamodule is
imported by ``_target_``. Then ``NNFRAME_CONFIG_DIR`` from another folder, the project's own
test, and the errors of ``init`` and of a bad config dir.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

NNFRAME = Path(sys.executable).with_name("nnframe")


def nnframe(*args: str, cwd: Path, env: dict[str, str] | None = None,
            timeout: int = 900) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NNFRAME_") and k != "PYTHONPATH"}
    return subprocess.run([str(NNFRAME), *args], cwd=cwd, env={**clean, **(env or {})}, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("own")
    result = nnframe("init", "my_project", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "nnframe cls train --config-dir configs experiment=my_project" in result.stdout
    return root / "my_project"


def test_init_writes_the_starter(project: Path) -> None:
    for name in ("README.md", ".gitignore", "configs/data/my_project.yaml", "configs/experiment/my_project.yaml",
                 "my_project/__init__.py", "my_project/csv_image_datamodule.py", "my_project/csv_image_dataset.py",
                 "tests/test_data.py", "data/labels.csv"):
        assert (project / name).is_file(), name
    assert len(list((project / "data" / "images").rglob("*.png"))) == 1400
    assert "__PKG__" not in (project / "configs" / "data" / "my_project.yaml").read_text()
    assert "_target_: my_project.CsvImageDataModule" in (project / "configs" / "data" / "my_project.yaml").read_text()


@pytest.mark.slow
def test_trains_from_the_project_folder_with_its_own_datamodule(project: Path) -> None:
    result = nnframe("cls", "train", "--config-dir", "configs", "experiment=my_project", "trainer.max_epochs=4",
                     cwd=project)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    output = result.stdout + result.stderr
    assert "data: train 1000, val 200" in output  # the CSV's splits, read by the project's class
    assert "_target_: my_project.CsvImageDataModule" in output  # the printed config
    (run,) = (project / "outputs" / "cls" / "train" / "my_project").iterdir()
    record = json.loads((run / "run.json").read_text())
    assert record["status"] == "completed"
    assert record["metrics"]["val/acc"] > 0.3  # 5 classes: chance is 0.2
    assert (run / "checkpoints" / "last.ckpt").is_file()
    assert list((run / "tensorboard").glob("events.out.tfevents.*"))

    # NNFRAME_CONFIG_DIR instead of the flag, from another folder: the checkpoint's data config
    # names my_project.CsvImageDataModule, found through the config dir's parent on sys.path.
    elsewhere = project.parent / "elsewhere"
    elsewhere.mkdir()
    result = nnframe("cls", "eval", f"ckpt_path={run / 'checkpoints' / 'last.ckpt'}", cwd=elsewhere,
                     env={"NNFRAME_CONFIG_DIR": str(project / "configs")})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "val/acc" in result.stdout


def test_config_dir_options_are_listed_and_the_env_variable_composes(project: Path, tmp_path: Path) -> None:
    result = nnframe("cls", "train", "--config-dir", "configs", "--help", cwd=project)
    assert result.returncode == 0
    experiment_line = next(line for line in result.stdout.splitlines() if line.strip().startswith("experiment"))
    assert "my_project" in experiment_line and "shapes" in experiment_line
    for args, env in ((("list", "cls", "--config-dir", "configs"), None),
                      (("list", "cls"), {"NNFRAME_CONFIG_DIR": str(project / "configs")})):
        result = nnframe(*args, cwd=project, env=env)
        assert result.returncode == 0, result.stderr
        data_line = next(line for line in result.stdout.splitlines() if line.strip().startswith("data "))
        assert "my_project" in data_line and "image_folder" in data_line, result.stdout
    assert "my_project" not in nnframe("list", "cls", cwd=project).stdout  # without the config dir
    result = nnframe("seg", "train", "--cfg", "job", "data=shapes", cwd=tmp_path,
                     env={"NNFRAME_CONFIG_DIR": str(project / "configs")})
    assert result.returncode == 0, result.stderr  # every task takes the config dir
    result = nnframe("cls", "train", "experiment=my_project", "--cfg", "job", cwd=tmp_path,
                     env={"NNFRAME_CONFIG_DIR": str(project / "configs")})
    assert result.returncode == 0 and "my_project.CsvImageDataModule" in result.stdout


def test_the_projects_own_test_passes(project: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], cwd=project,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:]


def test_bad_config_dir_and_init_errors(project: Path, tmp_path: Path) -> None:
    result = nnframe("cls", "train", "--config-dir", "no_such_dir", cwd=tmp_path)
    assert result.returncode == 2 and "--config-dir=no_such_dir: no such folder" in result.stderr
    result = nnframe("cls", "train", cwd=tmp_path, env={"NNFRAME_CONFIG_DIR": str(tmp_path / "missing")})
    assert result.returncode == 2 and "NNFRAME_CONFIG_DIR" in result.stderr and "unset it" in result.stderr
    result = nnframe("init", str(project), cwd=tmp_path)
    assert result.returncode == 2 and "already exists and is not empty" in result.stderr
    result = nnframe("init", "torch", cwd=tmp_path)
    assert result.returncode == 2 and "--name torch_project" in result.stderr
    result = nnframe("init", "torch", "--name", "torch_project", cwd=tmp_path)  # the hint works
    assert result.returncode == 0 and (tmp_path / "torch" / "torch_project" / "__init__.py").is_file()
