"""The ssl actions after a short pretraining: linear probe and backbone export."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from nnframe.core.backbones import create_backbone, load_backbone_weights
from nnframe.core.errors import ConfigError
from nnframe.core.testing import compose_task_config
from nnframe.core.training import train
from nnframe.ssl import export_backbone
from nnframe.ssl.linear_probe import linear_probe
from nnframe.ssl.task import TASK

CONFIGS = "nnframe.ssl.configs"


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory: pytest.TempPathFactory, tiny) -> Path:
    """``last.ckpt`` of a one-epoch SimCLR run on tiny shapes."""
    run_dir = tmp_path_factory.mktemp("pretrain")
    cfg = compose_task_config(CONFIGS, [*tiny("simclr"), "test=false"], output_dir=run_dir)
    train(cfg)
    return run_dir / "checkpoints" / "last.ckpt"


def test_task_declares_linear_and_overrides_export() -> None:
    assert TASK.actions["linear"].function == "nnframe.ssl.linear_probe:linear_from_cli"
    assert TASK.actions["export"].function == "nnframe.ssl.export:export_from_cli"
    assert "train" in TASK.actions and "eval" in TASK.actions


def test_linear_probe_reports_accuracy(pretrained: Path, tiny, tmp_path: Path) -> None:
    overrides = [*tiny("simclr"), f"ckpt_path={pretrained}", "linear.epochs=30"]
    cfg = compose_task_config(CONFIGS, overrides, output_dir=tmp_path, action="linear")
    metrics = linear_probe(cfg)
    assert set(metrics) == {"linear/train_acc", "linear/val_acc", "linear/test_acc"}
    assert all(0.0 <= v <= 1.0 for v in metrics.values())
    assert metrics["linear/train_acc"] > 0.5  # 5 classes, 64 samples, 128 features: well above chance


def test_linear_without_checkpoint_names_ckpt_path(tiny, tmp_path: Path) -> None:
    cfg = compose_task_config(CONFIGS, tiny("simclr"), output_dir=tmp_path, action="linear")
    with pytest.raises(ConfigError, match="ckpt_path="):
        linear_probe(cfg)


def test_export_writes_the_pretrained_backbone(pretrained: Path, tiny, tmp_path: Path) -> None:
    output = tmp_path / "backbone.pt"
    cfg = compose_task_config(CONFIGS, [*tiny("simclr"), f"ckpt_path={pretrained}",
                                        f"export.output={output}"], output_dir=tmp_path, action="export")
    assert export_backbone(cfg) == output
    backbone = create_backbone("simple_cnn")
    metadata = load_backbone_weights(backbone, output, expected_name="simple_cnn")
    assert metadata["method"] == "SimCLR"
    saved = torch.load(pretrained, map_location="cpu", weights_only=False)["state_dict"]
    for name, value in backbone.state_dict().items():
        assert torch.equal(value, saved[f"net.{name}"]), name
