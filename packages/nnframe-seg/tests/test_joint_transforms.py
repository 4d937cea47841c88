"""Core's segmentation transforms move image and mask together and keep masks as class indices,
image by image (torchvision v2) and on the device by batch (``data.on_device=true``)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torchvision import tv_tensors
from torchvision.transforms import v2

from nnframe.core.data.on_device.device_augment import plan_from_transform
from nnframe.core.data.on_device.device_batch_loader import DeviceBatchLoader, prepare_images
from nnframe.core.errors import ConfigError
from nnframe.seg.transforms import segmentation_eval_transform, segmentation_train_transform


def _asymmetric_sample(size: int = 48) -> tuple[tv_tensors.Image, tv_tensors.Mask]:
    """A bright L-shaped region (class 3) on a dark image: every flip or crop changes it."""
    mask = torch.zeros(size, size, dtype=torch.int64)
    mask[4:20, 4:40] = 3
    mask[20:44, 4:14] = 3
    image = torch.where(mask.bool(), 230, 20).to(torch.uint8).expand(3, -1, -1).clone()
    return tv_tensors.Image(image), tv_tensors.Mask(mask)


def _agreement(image: torch.Tensor, mask: torch.Tensor, ignore_index: int = 255) -> float:
    """Share of labelled pixels where "bright image" and "class 3" agree (the normalised image is > 0
    when bright)."""
    labelled = mask != ignore_index
    return float(((image[0] > 0) == (mask == 3))[labelled].float().mean())


def _per_image(transform: v2.Compose, seed: int, count: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    torch.manual_seed(seed)
    return [transform(*_asymmetric_sample()) for _ in range(count)]


def _on_device(transform: v2.Compose, seed: int, count: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """The same transform translated to batch steps, through the loader the datamodule builds."""
    image, mask = _asymmetric_sample()
    plan = plan_from_transform(transform)
    images = prepare_images(image.as_subclass(torch.Tensor)[None].repeat(count, 1, 1, 1), plan)
    masks = prepare_images(mask.as_subclass(torch.Tensor)[None].repeat(count, 1, 1).to(torch.uint8), plan,
                           masks=True)
    loader = DeviceBatchLoader(images, masks, batch_size=count, augmentation=plan.augmentation, seed=seed,
                              ignore_index=255)  # what the seg datamodules pass (data.ignore_index)
    batch_images, batch_masks = next(iter(loader))
    return list(zip(batch_images, batch_masks, strict=True))


PATHS: dict[str, Callable[[v2.Compose, int, int], list[tuple[torch.Tensor, torch.Tensor]]]] = {
    "per_image": _per_image, "on_device": _on_device}


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("seed", range(4))
def test_train_transform_keeps_image_and_mask_aligned(path: str, seed: int) -> None:
    transform = segmentation_train_transform(image_size=32, normalization="imagenet", min_scale=0.3, hflip=True,
                                             color_jitter=0.2)
    samples = PATHS[path](transform, seed, 6)
    for image, mask in samples:
        assert image.shape == (3, 32, 32) and image.dtype == torch.float32
        assert mask.shape == (32, 32) and mask.dtype == torch.int64
        assert set(mask.unique().tolist()) <= {0, 3}  # nearest neighbour: no blended class values
        # Bilinear resizing blurs the image only along the region's edge (a mask flipped without its
        # image agrees on < 0.8, see below).
        assert _agreement(image, mask) > 0.9
    # The random steps act: crops and flips differ from sample to sample.
    assert len({tuple(mask.flatten().tolist()) for _, mask in samples}) > 2


def test_on_device_path_pads_masks_with_ignore_index_and_flips_them_with_their_images() -> None:
    transform = v2.Compose([v2.ToImage(), v2.RandomCrop(48, padding=6), v2.RandomHorizontalFlip(),
                            v2.RandomVerticalFlip(), v2.ToDtype(torch.float32, scale=True),
                            v2.Normalize([0.5] * 3, [0.1] * 3)])
    padded_any = False
    for image, mask in _on_device(transform, seed=1, count=16):
        assert set(mask.unique().tolist()) <= {0, 3, 255}
        padding = mask == 255
        padded_any |= bool(padding.any())
        assert bool((image[:, padding] < -4).all())  # zero-padded pixels (0 - 0.5) / 0.1 = -5
        assert _agreement(image, mask) == 1.0  # no resampling: exact agreement
    assert padded_any


def test_a_mask_flipped_without_its_image_is_caught() -> None:
    image, mask = segmentation_eval_transform(32, "imagenet")(*_asymmetric_sample())
    assert _agreement(image, mask) > 0.93
    assert _agreement(image, mask.flip(-1)) < 0.8


@pytest.mark.parametrize("path", PATHS)
def test_eval_transform_resizes_mask_with_nearest_neighbour(path: str) -> None:
    mask = tv_tensors.Mask(torch.tensor([[0, 255], [7, 1]], dtype=torch.int64).repeat_interleave(5, 0)
                           .repeat_interleave(5, 1))
    image = tv_tensors.Image(torch.zeros(3, 10, 10, dtype=torch.uint8))
    transform = segmentation_eval_transform(16, "imagenet")
    if path == "per_image":
        _, resized = transform(image, mask)
    else:
        plan = plan_from_transform(transform)
        resized = prepare_images(mask.as_subclass(torch.Tensor)[None], plan, masks=True)[0]
        assert tuple(prepare_images(image.as_subclass(torch.Tensor)[None], plan).shape) == (1, 3, 16, 16)
    assert resized.shape == (16, 16)
    assert set(resized.unique().tolist()) == {0, 1, 7, 255}


def test_on_device_path_names_a_step_it_cannot_do() -> None:
    transform = v2.Compose([v2.ToImage(), v2.RandomRotation(15), v2.ToDtype(torch.float32, scale=True)])
    with pytest.raises(ConfigError, match="RandomRotation.*data.on_device=false"):
        plan_from_transform(transform)


@pytest.mark.parametrize("path", PATHS)
def test_resize_crop_keeps_the_whole_image_and_flips_it_with_its_mask(path: str) -> None:
    transform = segmentation_train_transform(image_size=24, normalization="imagenet", hflip=True,
                                             color_jitter=0.0, crop="resize")
    whole = segmentation_eval_transform(24, "imagenet")(*_asymmetric_sample())
    flips = 0
    for image, mask in PATHS[path](transform, 0, 8):
        assert image.shape == (3, 24, 24) and mask.shape == (24, 24)
        flipped = torch.equal(mask, whole[1].flip(-1))
        assert flipped or torch.equal(mask, whole[1])  # no zoom: the whole image, flipped or not
        reference = whole[0].flip(-1) if flipped else whole[0]
        assert torch.allclose(image, reference, atol=1e-5)
        flips += flipped
    assert 0 < flips < 8


def test_unknown_crop_is_named() -> None:
    with pytest.raises(ValueError, match="unknown crop 'center'.*random_resized_crop or resize"):
        segmentation_train_transform(crop="center")
