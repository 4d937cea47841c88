"""Core's segmentation transforms move image and mask together and keep masks as class indices."""

from __future__ import annotations

import pytest
import torch
from torchvision import tv_tensors

from nnframe.core.cv_tools import segmentation_eval_transform, segmentation_train_transform


def _asymmetric_sample(size: int = 48) -> tuple[tv_tensors.Image, tv_tensors.Mask]:
    """A bright L-shaped region (class 3) on a dark image: every flip or crop changes it."""
    mask = torch.zeros(size, size, dtype=torch.int64)
    mask[4:20, 4:40] = 3
    mask[20:44, 4:14] = 3
    image = torch.where(mask.bool(), 230, 20).to(torch.uint8).expand(3, -1, -1).clone()
    return tv_tensors.Image(image), tv_tensors.Mask(mask)


def _agreement(image: torch.Tensor, mask: torch.Tensor) -> float:
    """Share of pixels where "bright image" and "class 3" agree (the normalised image is > 0 when bright)."""
    return float(((image[0] > 0) == (mask == 3)).float().mean())


@pytest.mark.parametrize("seed", range(12))
def test_train_transform_keeps_image_and_mask_aligned(seed: int) -> None:
    transform = segmentation_train_transform(image_size=32, normalization="imagenet", min_scale=0.3, hflip=True,
                                             color_jitter=0.2)
    torch.manual_seed(seed)
    image, mask = transform(*_asymmetric_sample())
    assert image.shape == (3, 32, 32) and image.dtype == torch.float32
    assert isinstance(mask, tv_tensors.Mask) and mask.shape == (32, 32) and mask.dtype == torch.int64
    assert set(mask.unique().tolist()) <= {0, 3}  # nearest neighbour: no blended class values
    # Bilinear resizing blurs the image only along the region's edge.
    assert _agreement(image, mask) > 0.93


def test_a_mask_flipped_without_its_image_is_caught() -> None:
    image, mask = segmentation_eval_transform(32, "imagenet")(*_asymmetric_sample())
    assert _agreement(image, mask) > 0.93
    assert _agreement(image, mask.flip(-1)) < 0.8


def test_eval_transform_resizes_mask_with_nearest_neighbour() -> None:
    mask = tv_tensors.Mask(torch.tensor([[0, 255], [7, 1]], dtype=torch.int64).repeat_interleave(5, 0)
                           .repeat_interleave(5, 1))
    image = tv_tensors.Image(torch.zeros(3, 10, 10, dtype=torch.uint8))
    _, resized = segmentation_eval_transform(16, "imagenet")(image, mask)
    assert resized.dtype == torch.int64
    assert set(resized.unique().tolist()) == {0, 1, 7, 255}
