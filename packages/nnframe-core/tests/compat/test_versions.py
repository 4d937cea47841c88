"""nnframe.core refuses an untested Lightning at import, with a message that says what to do."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys

import pytest

from nnframe.core.compat import versions


@pytest.mark.parametrize("version", ["2.6.0", "2.6.6", "2.6.10.post1"])
def test_the_tested_minor_versions_pass(version: str) -> None:
    assert versions.lightning_problem(version) is None


@pytest.mark.parametrize("version", ["2.5.5", "2.7.0", "2.7.0rc1", "3.0.0"])
def test_other_versions_are_named_with_the_tested_range_and_the_fix(version: str) -> None:
    problem = versions.lightning_problem(version)
    assert problem is not None
    assert f"lightning {version} is installed" in problem and ">=2.6,<2.7" in problem
    assert "uv sync" in problem and "NNFRAME_ALLOW_UNTESTED_LIGHTNING=1" in problem


def test_a_missing_lightning_says_how_to_install_it() -> None:
    problem = versions.lightning_problem(None)
    assert problem is not None and "not installed" in problem and "uv sync" in problem


def test_the_installed_lightning_is_a_tested_one() -> None:
    """What `uv sync` installs (the hint's fix) passes the check."""
    versions.check_lightning_version()
    assert versions.lightning_problem(importlib.metadata.version("lightning")) is None


def test_an_untested_lightning_raises_unless_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "2.7.1")
    monkeypatch.delenv(versions.ALLOW_UNTESTED_VARIABLE, raising=False)
    with pytest.raises(versions.UntestedLightningError, match=r"lightning 2.7.1 is installed .* lightning>=2.6,<2.7"):
        versions.check_lightning_version()
    monkeypatch.setenv(versions.ALLOW_UNTESTED_VARIABLE, "1")
    with pytest.warns(UserWarning, match="lightning 2.7.1 is installed"):
        versions.check_lightning_version()


def test_importing_nnframe_core_checks_the_version() -> None:
    code = ("import importlib.metadata as m\n"
            "real = m.version\n"
            "m.version = lambda name: '2.7.0' if name == 'lightning' else real(name)\n"
            "import nnframe.core\n")
    env = {k: v for k, v in __import__("os").environ.items() if k != versions.ALLOW_UNTESTED_VARIABLE}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode != 0
    assert "UntestedLightningError: nnframe: lightning 2.7.0 is installed" in result.stderr, result.stderr
