"""model.freeze_backbone_epochs under DDP (2 CPU processes): without DDP's unused-parameter search
the run stops before training naming the strategy to use; with it, the frozen backbone stays as
loaded on every process. Slow (two short 2-process runs)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from nnframe.core.backbones import create_backbone

pytestmark = pytest.mark.slow

TINY = ["data.num_train=64", "data.num_val=32", "data.num_test=16", "data.image_size=16",
        "data.batch_size=16", "trainer=ddp_cpu", "trainer.devices=2", "trainer.max_epochs=1",
        "model.freeze_backbone_epochs=1"]


def _train(run_dir: Path, *overrides: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "nnframe.core.cli", "cls", "train", *TINY, *overrides, f"hydra.run.dir={run_dir}"]
    return subprocess.run(command, capture_output=True, text=True, timeout=400)


def test_freezing_under_ddp_needs_and_works_with_unused_parameters(tmp_path: Path) -> None:
    torch.manual_seed(0)
    weights = tmp_path / "simple_cnn.pth"
    torch.save(create_backbone("simple_cnn").state_dict(), weights)

    refused = _train(tmp_path / "refused", f"model.pretrained_file={weights}")
    assert refused.returncode != 0
    assert "trainer.strategy=ddp_find_unused_parameters_true" in refused.stdout + refused.stderr

    done = _train(tmp_path / "run", f"model.pretrained_file={weights}", "trainer.strategy=ddp_find_unused_parameters_true")
    assert done.returncode == 0, done.stderr[-3000:]
    state = torch.load(tmp_path / "run" / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    source = torch.load(weights, weights_only=True)
    for name, value in source.items():
        assert torch.equal(state["state_dict"][f"net.backbone.{name}"], value), name
