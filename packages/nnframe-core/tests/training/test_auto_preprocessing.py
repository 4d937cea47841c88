"""data.normalization=auto: the model's pretrained preprocessing when it has one, else the dataset's
own statistics; values the config sets are kept (with a note when they differ from the weights')."""

from __future__ import annotations

from typing import Any

import pytest
from omegaconf import OmegaConf

from nnframe.core.backbones import Preprocessing
from nnframe.core.testing import ToyClassifier
from nnframe.core.training.auto_preprocessing import resolve_auto_preprocessing
from nnframe.core.training.instantiate import build_datamodule

WEIGHTS = Preprocessing((0.5, 0.5, 0.5), (0.5, 0.5, 0.5), source="timm's pretrained_cfg of test_convnext.r160_in1k",
                        interpolation="bicubic", crop_pct=0.95, input_size=160)


def _cfg(normalization: Any = "auto", dataset_target: str = "nnframe.core.data.ShapesDataModule") -> Any:
    return OmegaConf.create({
        "model": {"_target_": "nnframe.core.testing.ToyClassifier"},
        "data": {
            "_target_": dataset_target, "num_train": 8, "num_val": 4, "num_test": 4, "image_size": 16,
            "normalization": normalization, "dataset": "cifar100",
            "train_transform": {"_target_": "nnframe.core.cv_tools.classification_train_transform",
                                "image_size": 16, "normalization": "${data.normalization}", "interpolation": "auto"},
            "eval_transform": {"_target_": "nnframe.core.cv_tools.classification_eval_transform", "image_size": 16,
                               "normalization": "${data.normalization}", "interpolation": "auto",
                               "resize_ratio": "auto"},
        },
    })


@pytest.fixture
def pretrained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ToyClassifier, "preprocessing", classmethod(lambda cls, model_cfg: WEIGHTS))


def test_pretrained_weights_set_normalisation_interpolation_and_crop(pretrained: None,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    cfg = _cfg()
    del cfg.data.dataset
    datamodule = build_datamodule(cfg, stage="fit")
    assert OmegaConf.to_object(cfg.data.normalization) == [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]]
    assert cfg.data.train_transform.interpolation == cfg.data.eval_transform.interpolation == "bicubic"
    assert cfg.data.eval_transform.resize_ratio == 0.95
    normalize = datamodule.eval_transform.transforms[-1]
    assert list(normalize.mean) == [0.5, 0.5, 0.5] and list(normalize.std) == [0.5, 0.5, 0.5]
    out = capsys.readouterr().out
    assert "from the model's pretrained weights" in out and "test_convnext.r160_in1k" in out
    assert "trained at 160 px" in out  # the resolution differs: said, not changed


def test_without_weights_the_dataset_statistics() -> None:
    cfg = _cfg()
    del cfg.data.dataset
    resolve_auto_preprocessing(cfg)
    assert cfg.data.normalization == "shapes"
    assert cfg.data.train_transform.interpolation == "bilinear" and cfg.data.eval_transform.resize_ratio == 0.875
    torchvision_cfg = _cfg(dataset_target="nnframe.core.data.TorchvisionDataModule")
    resolve_auto_preprocessing(torchvision_cfg)
    assert torchvision_cfg.data.normalization == "cifar100"


def test_a_set_normalisation_is_kept_with_a_note(pretrained: None, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = _cfg(normalization="imagenet")
    resolve_auto_preprocessing(cfg)
    assert cfg.data.normalization == "imagenet"
    assert "data.normalization=imagenet is set, but the pretrained weights expect mean (0.5" in capsys.readouterr().out


def test_grey_data_gets_one_channel_of_the_weights_statistics(pretrained: None) -> None:
    cfg = _cfg()
    cfg.data.in_channels = 1
    resolve_auto_preprocessing(cfg)
    assert OmegaConf.to_object(cfg.data.normalization) == [[0.5], [0.5]]


def test_instantiating_auto_without_resolving_says_how() -> None:
    from hydra.utils import instantiate

    with pytest.raises(Exception, match="build_datamodule"):
        instantiate(_cfg().data)


def test_folder_data_is_not_said_to_have_its_own_statistics() -> None:
    """Folders (and CSV, masks) get ImageNet's statistics without weights: not "their own"."""
    folder = _cfg(dataset_target="nnframe.core.data.ImageFolderDataModule")
    choice = resolve_auto_preprocessing(folder, announce=False)
    assert folder.data.normalization == "imagenet"
    assert "own statistics" not in choice.reason and "ImageNet's statistics" in choice.reason
    shapes = _cfg()
    del shapes.data.dataset
    assert "the dataset's own statistics" in resolve_auto_preprocessing(shapes, announce=False).reason


def test_the_preprocessing_line_waits_for_the_data_check(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """A folder that is not there: its error, not a normalisation line about data not yet found."""
    from nnframe.core.errors import NnframeError

    cfg = _cfg(dataset_target="nnframe.core.data.ImageFolderDataModule")
    cfg.data = {k: v for k, v in cfg.data.items() if k not in ("num_train", "num_val", "num_test", "dataset")}
    cfg.data.root = str(tmp_path / "missing")
    with pytest.raises(NnframeError):
        build_datamodule(cfg, stage="fit")
    assert "preprocessing:" not in capsys.readouterr().out
    shapes = _cfg()
    del shapes.data.dataset
    build_datamodule(shapes, stage="fit")
    assert "preprocessing: normalization shapes" in capsys.readouterr().out  # after a good start: said
