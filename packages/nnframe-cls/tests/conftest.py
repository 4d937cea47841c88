"""Fixtures of the classification tests: a tiny, fast config on the shapes data."""

from __future__ import annotations

from pathlib import Path

import pytest
from omegaconf import DictConfig

from nnframe.core.testing import compose_task_config

TINY = [
    "data.num_train=2000",
    "data.num_val=200",
    "data.num_test=200",
    "data.batch_size=32",
    "trainer.max_epochs=4",
    "trainer.accelerator=cpu",
    "extras.print_config=false",
]


@pytest.fixture(scope="session")
def tiny_overrides() -> list[str]:
    """Overrides of a shapes run that trains in seconds."""
    return list(TINY)


@pytest.fixture
def tiny_cfg(tmp_path: Path) -> DictConfig:
    """A shapes config that trains in seconds, writing into ``tmp_path``."""
    return compose_task_config("nnframe.cls.configs", TINY, output_dir=tmp_path / "run")
