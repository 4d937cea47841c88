"""SSL pretraining -> export -> a classification run that starts from the exported backbone
(needs nnframe-cls installed beside nnframe-ssl, as the workspace has it)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from omegaconf import OmegaConf

from nnframe.core.testing import compose_task_config
from nnframe.core.training import train
from nnframe.core.training.instantiate import build_datamodule, build_model
from nnframe.ssl import export_backbone

pytest.importorskip("nnframe.cls", reason="the fine-tuning side is nnframe-cls's")

TINY_SSL = [
    "data.image_size=16", "data.num_train=64", "data.num_val=32", "data.num_test=32", "data.batch_size=16",
    "method.module.hidden_dim=64", "method.module.output_dim=32", "model.knn_k=10", "test=false",
    "trainer.max_epochs=1", "trainer.accelerator=cpu",
]


SSL_NORMALIZATION = [[0.4, 0.4, 0.4], [0.3, 0.3, 0.3]]


def test_cls_run_starts_from_ssl_exported_backbone(tmp_path: Path) -> None:
    ssl_cfg = compose_task_config("nnframe.ssl.configs", [*TINY_SSL, f"data.normalization={SSL_NORMALIZATION}"],
                                  output_dir=tmp_path / "ssl")
    train(ssl_cfg)
    checkpoint = tmp_path / "ssl" / "checkpoints" / "last.ckpt"
    weights = tmp_path / "backbone.pt"
    export_cfg = compose_task_config("nnframe.ssl.configs", [*TINY_SSL, f"ckpt_path={checkpoint}",
                                                              f"export.output={weights}"],
                                     output_dir=tmp_path / "export", action="export")
    export_backbone(export_cfg)

    cls_cfg = compose_task_config("nnframe.cls.configs", [
        "model.backbone=simple_cnn", f"model.pretrained_file={weights}", "data.image_size=16",
        "data.num_train=32", "data.num_val=16", "data.num_test=16",
    ], output_dir=tmp_path / "cls")
    datamodule = build_datamodule(cls_cfg, stage="fit")
    classifier = build_model(cls_cfg, datamodule.class_names)

    # data.normalization=auto follows the backbone file: the SSL run's normalisation, not the shapes'
    assert OmegaConf.to_object(cls_cfg.data.normalization) == SSL_NORMALIZATION
    report = classifier.net.backbone.nnframe_weights_report
    assert report.kind == "nnframe backbone file" and report.loaded == report.total
    assert "nnframe ssl export" in report.notes[0] and str(checkpoint) in report.notes[0]
    pretrained = torch.load(checkpoint, map_location="cpu", weights_only=False)["state_dict"]
    backbone_state = classifier.net.backbone.state_dict()
    assert backbone_state, "the classifier has no backbone weights"
    for name, value in backbone_state.items():
        assert torch.equal(value, pretrained[f"net.{name}"]), f"{name} differs from the SSL backbone"
