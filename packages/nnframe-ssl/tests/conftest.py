"""Shared helpers of the nnframe-ssl tests: tiny, fast SSL configs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch

# These tests run tiny models on shared CPU machines, where torch's intra-op threads spin while
# competing for cores (20x slower measured on a loaded 2-core runner); one thread is fastest here.
torch.set_num_threads(1)

# Small heads and data so that every method runs a few steps in about a second on a CPU.
TINY_METHOD_OVERRIDES: dict[str, list[str]] = {
    "simclr": ["method.module.hidden_dim=64", "method.module.output_dim=32"],
    "moco_v2": ["method.module.hidden_dim=64", "method.module.output_dim=32", "method.module.queue_size=64"],
    "byol": ["method.module.hidden_dim=64", "method.module.output_dim=32"],
    "simsiam": ["method.module.hidden_dim=64", "method.module.output_dim=64", "method.module.prediction_dim=16"],
    "barlow_twins": ["method.module.hidden_dim=64", "method.module.output_dim=64"],
    "vicreg": ["method.module.hidden_dim=64", "method.module.output_dim=64"],
    "dino": ["method.module.hidden_dim=64", "method.module.bottleneck_dim=16", "method.module.output_dim=128",
             "method.views.n_local_views=2"],
}


def tiny_overrides(method: str = "simclr", shapes: bool = True) -> list[str]:
    """Overrides for a seconds-long run at 16 px (on 64 shapes unless ``shapes=False``)."""
    data = ["data.num_train=64", "data.num_val=32", "data.num_test=32"] if shapes else []
    return [
        f"method={method}", *TINY_METHOD_OVERRIDES[method], *data, "data.image_size=16", "data.batch_size=16",
        "trainer.max_epochs=1", "trainer.accelerator=cpu", "model.knn_k=10",
    ]


@pytest.fixture(scope="session")
def tiny() -> Callable[[str], list[str]]:
    """``tiny(method)``: overrides for a seconds-long run of ``method`` on 16 px shapes."""
    return tiny_overrides


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    """A fresh output directory for one run."""
    return tmp_path / "run"
