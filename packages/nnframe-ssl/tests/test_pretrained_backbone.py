"""SSL from pretrained weights: backbone.pretrained_file loads a local file into the backbone being
pretrained, and the data preprocessing follows the weights (data.normalization=auto)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import timm
import torch
from omegaconf import OmegaConf

from nnframe.core.testing import compose_task_config
from nnframe.core.training.instantiate import build_datamodule, build_model


def test_backbone_pretrained_file_is_loaded_and_sets_the_preprocessing(tiny: Callable[..., list[str]],
                                                                      tmp_path: Path) -> None:
    torch.manual_seed(4)
    source = timm.create_model("test_convnext")
    torch.save(source.state_dict(), tmp_path / "tc.pth")
    cfg = compose_task_config("nnframe.ssl.configs", [*tiny("simclr"), "backbone=timm", "backbone.name=test_convnext",
                                                      f"backbone.pretrained_file={tmp_path / 'tc.pth'}"],
                              output_dir=tmp_path / "run")
    datamodule = build_datamodule(cfg, stage="fit")
    assert OmegaConf.to_object(cfg.data.normalization) == [[0.5] * 3, [0.5] * 3]  # test_convnext's, not the shapes'
    model = build_model(cfg, datamodule.class_names)
    for name, value in model.backbone.state_dict().items():
        assert torch.equal(value, source.state_dict()[name]), name
    assert model.backbone.nnframe_weights_report.loaded == len(model.backbone.state_dict())
