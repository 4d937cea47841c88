"""Each package builds as a wheel on its own and ships its configs (PEP 420 namespace intact)."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = sorted(p.name for p in (ROOT / "packages").iterdir() if (p / "pyproject.toml").is_file())


@pytest.mark.parametrize("package", PACKAGES)
def test_wheel_contains_code_and_configs(package: str, tmp_path: Path) -> None:
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH")
    subprocess.run([uv, "build", "--package", package, "--wheel", "-o", str(tmp_path), "-q"], cwd=ROOT, check=True)
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    task = package.removeprefix("nnframe-")
    assert "nnframe/__init__.py" not in names  # namespace package shared by all tasks
    assert f"nnframe/{task}/__init__.py" in names and f"nnframe/{task}/py.typed" in names
    source_configs = ROOT / "packages" / package / "src" / "nnframe" / task / "configs"
    expected = {f"nnframe/{task}/configs/{p.relative_to(source_configs).as_posix()}"
                for p in source_configs.rglob("*.yaml")}
    assert expected and expected <= names, sorted(expected - names)
    if package == "nnframe-core":  # what `nnframe init` writes ships with the command
        template = ROOT / "packages" / package / "src" / "nnframe" / "core" / "project_template"
        files = {f"nnframe/core/project_template/{p.relative_to(template).as_posix()}" for p in template.rglob("*.tmpl")}
        assert files and files <= names, sorted(files - names)
