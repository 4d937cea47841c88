"""smp encoders from a local weights file (timm / torchvision state dict, nnframe backbone file):
the weights are the model's and the preprocessing follows them."""

from __future__ import annotations

from pathlib import Path

import pytest
import timm
import torch
from omegaconf import OmegaConf

from nnframe.core.backbones import save_backbone_weights
from nnframe.core.errors import CheckpointError
from nnframe.core.testing import compose_task_config
from nnframe.core.training.instantiate import build_datamodule, build_model
from nnframe.seg.models import create_segmentation_model, smp_preprocessing


@pytest.fixture(scope="module")
def resnet18_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, torch.Tensor]]:
    torch.manual_seed(2)
    state = timm.create_model("resnet18").state_dict()  # torchvision's key names, with its fc
    path = tmp_path_factory.mktemp("w") / "resnet18.pth"
    torch.save(state, path)
    return path, state


def test_encoder_weights_from_a_classification_checkpoint(resnet18_file: tuple[Path, dict]) -> None:
    path, state = resnet18_file
    model = create_segmentation_model("unet", "resnet18", num_classes=3, pretrained_file=path)
    for name, value in model.encoder.state_dict().items():
        assert torch.equal(value, state[name]), name
    report = model.encoder.nnframe_weights_report
    assert report.loaded == report.total and not report.missing


def test_timm_encoders_take_a_plain_timm_file(tmp_path: Path) -> None:
    source = timm.create_model("test_convnext")
    torch.save(source.state_dict(), tmp_path / "tc.pth")
    model = create_segmentation_model("unet", "tu-test_convnext", num_classes=2, pretrained_file=tmp_path / "tc.pth",
                                      arch_kwargs={"encoder_depth": 4, "decoder_channels": [32, 16, 8, 8]})
    # timm's features model renames the flattened stem ("stem.0" -> "stem_0"): compare with timm's own load
    reference = timm.create_model("test_convnext", features_only=True, pretrained=True,
                                  pretrained_cfg_overlay={"file": str(tmp_path / "tc.pth")}).state_dict()
    loaded = {k.removeprefix("model."): v for k, v in model.encoder.state_dict().items()}
    assert loaded and all(torch.equal(v, reference[k]) for k, v in loaded.items())
    assert not torch.equal(loaded["stem_0.weight"], timm.create_model("test_convnext").stem[0].weight)
    assert model.encoder.nnframe_weights_report.loaded == len(loaded)
    assert smp_preprocessing("tu-test_convnext", None, tmp_path / "tc.pth").mean == (0.5, 0.5, 0.5)


def test_an_nnframe_backbone_file_from_ssl_fits_the_smp_encoder(tmp_path: Path) -> None:
    backbone = timm.create_model("resnet18", num_classes=0)
    save_backbone_weights(tmp_path / "b.pt", backbone, "resnet18",
                          {"source": "nnframe ssl", "method": "BYOL", "normalization": "stl10"})
    model = create_segmentation_model("fpn", "resnet18", num_classes=2, pretrained_file=tmp_path / "b.pt")
    assert all(torch.equal(v, backbone.state_dict()[k]) for k, v in model.encoder.state_dict().items())
    assert "BYOL" in model.encoder.nnframe_weights_report.notes[0]
    assert smp_preprocessing("resnet18", None, tmp_path / "b.pt").source.startswith("the run that exported")


def test_a_file_of_another_encoder_is_refused(tmp_path: Path) -> None:
    torch.save(timm.create_model("resnet50").state_dict(), tmp_path / "r50.pth")
    with pytest.raises(CheckpointError, match="r50.pth"):
        create_segmentation_model("unet", "resnet18", num_classes=2, pretrained_file=tmp_path / "r50.pth")


def test_the_data_normalisation_follows_the_encoder_weights(resnet18_file: tuple[Path, dict], tmp_path: Path) -> None:
    path, _ = resnet18_file
    cfg = compose_task_config("nnframe.seg.configs", ["model=unet", f"model.pretrained_file={path}", "model.encoder_weights=imagenet",
                                                      "data.num_train=8", "data.num_val=4", "data.num_test=4"],
                              output_dir=tmp_path)
    datamodule = build_datamodule(cfg)
    assert OmegaConf.to_object(cfg.data.normalization) == [[0.485, 0.456, 0.406], [0.229, 0.224, 0.225]]
    build_model(cfg, datamodule.class_names)
    plain = compose_task_config("nnframe.seg.configs", ["data.num_train=8", "data.num_val=4", "data.num_test=4"],
                                output_dir=tmp_path)
    build_datamodule(plain)
    assert plain.data.normalization == "shapes"  # no weights: the dataset's own statistics
