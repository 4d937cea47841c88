"""Sliding-window and whole-image inference: windows cover the image, a pointwise network gives
the whole-image result, a window as large as the image is the whole image, and the module
evaluates images larger than its training crop."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from nnframe.core.errors import ConfigError
from nnframe.core.testing import compose_task_config
from nnframe.seg.sliding_window import (
    pad_to_multiple,
    sliding_window_logits,
    whole_image_logits,
    window_starts,
)


@pytest.mark.parametrize(("length", "window", "stride"), [(100, 32, 21), (64, 32, 32), (20, 32, 21), (97, 32, 10)])
def test_windows_cover_every_pixel_and_stay_inside(length: int, window: int, stride: int) -> None:
    starts = window_starts(length, window, stride)
    covered = torch.zeros(max(length, window), dtype=torch.bool)
    for start in starts:
        covered[start:start + window] = True
        assert start + window <= max(length, window)
    assert covered[:length].all()


def test_a_pointwise_network_gives_the_whole_image_result() -> None:
    torch.manual_seed(0)
    net = nn.Conv2d(3, 4, kernel_size=1)  # each output pixel depends on its own input pixel only
    images = torch.randn(2, 3, 70, 45)
    with torch.no_grad():
        torch.testing.assert_close(sliding_window_logits(net, images, window=32, stride=20), net(images))


def test_a_window_as_large_as_the_image_is_the_whole_image() -> None:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 4, 5, padding=2))
    images = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(sliding_window_logits(net, images, window=32), net(images))
        small = torch.randn(1, 3, 20, 24)  # smaller than the window: padded, cropped back
        assert sliding_window_logits(net, small, window=32).shape == (1, 4, 20, 24)


def test_whole_image_pads_to_the_output_stride_and_crops_back() -> None:
    images = torch.randn(1, 3, 37, 50)
    assert pad_to_multiple(images, 8).shape[-2:] == (40, 56)
    seen: list[tuple[int, int]] = []

    def net(x: torch.Tensor) -> torch.Tensor:
        seen.append(tuple(x.shape[-2:]))
        return x[:, :2]

    assert whole_image_logits(net, images, 8).shape == (1, 2, 37, 50) and seen == [(40, 56)]


def test_the_module_segments_images_larger_than_its_crop() -> None:
    cfg = compose_task_config("nnframe.seg.configs", ["model.sliding_window=32"])
    from hydra.utils import instantiate

    module = instantiate(cfg.model).eval()
    with torch.no_grad():
        out = module.segment(torch.randn(1, 3, 90, 61))
        prediction = module.predict_step((torch.randn(2, 3, 50, 70), None), 0)
    assert out.shape == (1, cfg.data.num_classes, 90, 61)
    assert prediction["mask"].shape == (2, 50, 70)
    with pytest.raises(ConfigError, match="sliding_window=30.*output stride 8"):
        try:
            instantiate(compose_task_config("nnframe.seg.configs", ["model.sliding_window=30"]).model)
        except Exception as error:  # hydra wraps the module's error
            raise error.__cause__ or error from None


def test_poly_schedule_option_composes() -> None:
    cfg = compose_task_config("nnframe.seg.configs", ["scheduler=poly"])
    assert cfg.model.scheduler._target_ == "nnframe.core.optim.warmup_poly" and cfg.model.scheduler.power == 0.9
    assert compose_task_config("nnframe.seg.configs", []).model.scheduler._target_.endswith("warmup_cosine")
