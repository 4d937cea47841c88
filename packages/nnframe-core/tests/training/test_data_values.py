"""Values that come from the data are resolved into the config once the data is checked."""

from __future__ import annotations

from pathlib import Path

import pytest
from omegaconf import OmegaConf

from nnframe.core.data import DataReport, SplitStats
from nnframe.core.errors import ConfigError
from nnframe.core.training.data_values import image_size_from_data, resolve_data_values


class _Data:
    def __init__(self, sizes: list[tuple[int, int]], cap: int = 224, multiple: int = 1) -> None:
        self.data_report = DataReport(splits={"train": SplitStats(samples=len(sizes), sizes=sizes)})
        self.max_image_size, self.image_size_multiple = cap, multiple
        self.image_size, self.normalization = "auto", "imagenet"


def _cfg(**data) -> OmegaConf:
    return OmegaConf.create({"data": data})


@pytest.mark.parametrize(("sizes", "cap", "multiple", "expected"), [
    ([(32, 32)] * 5, 224, 1, 32),                      # small digits keep their size
    ([(500, 375), (640, 480), (300, 200)], 224, 1, 224),  # photos: capped
    ([(40, 30), (30, 40), (100, 20)], 224, 1, 30),     # the median short side
    ([(500, 375)] * 3, 512, 32, 352),                  # segmentation: a multiple of the stride
    ([(20, 24)] * 3, 512, 32, 32),                     # at least one stride
])
def test_image_size_from_the_training_images(sizes, cap, multiple, expected) -> None:
    size, why = image_size_from_data(_cfg(), _Data(sizes, cap, multiple))
    assert size == expected and "median short side" in why


def test_auto_values_are_written_into_the_config_and_the_datamodule() -> None:
    data = _Data([(64, 48)] * 3)
    cfg = _cfg(image_size="auto", in_channels=1, normalization="imagenet")
    messages = resolve_data_values(cfg, data)
    assert cfg.data.image_size == 48 and data.image_size == 48
    assert OmegaConf.to_container(cfg.data.normalization) == [[0.459], [0.2256]] == data.normalization
    assert messages[0].startswith("data.image_size=auto -> 48") and "in_channels=1" in messages[1]
    assert data.data_report.resolved == messages


def test_auto_without_a_resolver_or_data_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="data.num_workers=auto cannot be taken from the data"):
        resolve_data_values(_cfg(num_workers="auto"), _Data([(8, 8)]))
    # data.normalization=auto follows the model; without one (no pretrained weights) the data's stats
    cfg = _cfg(normalization="auto")
    messages = resolve_data_values(cfg, _Data([(8, 8)]))
    assert cfg.data.normalization == "imagenet" and messages[0].startswith("data.normalization=auto -> imagenet")
    empty = _Data([])
    with pytest.raises(ConfigError, match="data.image_size=<pixels>"):
        resolve_data_values(_cfg(image_size="auto"), empty)


def test_normalization_that_fits_no_channel_count_is_named() -> None:
    with pytest.raises(ConfigError, match=r"does not fit data.in_channels=3"):
        resolve_data_values(_cfg(in_channels=3, normalization=[[0.1, 0.2], [0.3, 0.4]]), _Data([(8, 8)]))


def test_auto_is_a_valid_image_size_for_the_config_check(tmp_path: Path) -> None:
    from nnframe.core.training.config_checks import validate_config

    validate_config(OmegaConf.create({"data": {"image_size": "auto"}}))
    with pytest.raises(ConfigError, match="data.image_size='big' must be an integer >= 1, or auto"):
        validate_config(OmegaConf.create({"data": {"image_size": "big"}}))


def test_image_size_auto_never_goes_below_data_min_image_size() -> None:
    data = _Data([(8, 8)] * 5)
    data.min_image_size = 32  # what the small CNNs need: 8 px digits are upscaled
    size, why = image_size_from_data(_cfg(), data)
    assert size == 32 and "raised to data.min_image_size=32" in why


def _timm_model(backbone: str) -> dict:
    return {"_target_": "nnframe.cls.ClassificationModule", "backbone": backbone}


def test_a_vit_is_created_at_the_datas_size_where_timm_allows() -> None:
    pytest.importorskip("nnframe.cls")
    cfg = OmegaConf.create({"data": {}, "model": _timm_model("vit_tiny_patch16_224")})
    size, why = image_size_from_data(cfg, _Data([(32, 32)] * 5))
    assert size == 32 and "vit_tiny_patch16_224 is created at 32 px (its default is 224)" in why


def test_a_model_of_one_input_size_gets_that_size(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("nnframe.cls")
    from nnframe.cls import ClassificationModule
    from nnframe.core.backbones import InputSize

    monkeypatch.setattr(ClassificationModule, "input_size", classmethod(lambda cls, model_cfg: InputSize(224)))
    cfg = OmegaConf.create({"data": {}, "model": _timm_model("some_vit")})
    size, why = image_size_from_data(cfg, _Data([(32, 32)] * 5))
    assert size == 224 and why.startswith("some_vit takes 224 px images only")
