"""Settings for every test of the workspace."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="session")
def _nnframe_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Point nnframe's cache (file-probe results, generated data) at a temporary folder, so tests
    neither read nor fill the user's ``~/.cache/nnframe``; subprocesses inherit it."""
    previous = os.environ.get("NNFRAME_CACHE_DIR")
    os.environ["NNFRAME_CACHE_DIR"] = str(tmp_path_factory.mktemp("nnframe_cache"))
    yield
    if previous is None:
        os.environ.pop("NNFRAME_CACHE_DIR", None)
    else:
        os.environ["NNFRAME_CACHE_DIR"] = previous
