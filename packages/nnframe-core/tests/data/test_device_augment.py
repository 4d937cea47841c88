"""The on-device batch augmentation does what the per-image pipeline does."""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F
from torchvision.transforms import v2
from torchvision.transforms.v2 import functional as TF

from nnframe.core.cv_tools import classification_eval_transform, classification_train_transform
from nnframe.core.data import ShapesDataset
from nnframe.core.data.on_device.device_augment import (
    BatchAugmentation,
    plan_from_transform,
    random_crop_with_padding,
    random_gaussian_blur,
    random_hflip,
    random_resized_crop_boxes,
    random_rot90,
    random_solarize,
    random_vflip,
    resample_boxes,
    resample_boxes_nearest,
    shift_hue,
)
from nnframe.core.data.on_device.device_batch_loader import DeviceBatchLoader, dataset_tensors
from nnframe.core.errors import ConfigError


def _distinct_images(n: int = 64, size: int = 8) -> torch.Tensor:
    """Images whose pixel values (1..255) identify their position, so a crop can be located."""
    base = torch.arange(1, size * size + 1, dtype=torch.uint8).view(1, 1, size, size)
    return base.repeat(n, 3, 1, 1)


def test_random_crop_stays_inside_the_padded_image() -> None:
    images = _distinct_images()
    padding = 2
    crops = random_crop_with_padding(images, padding, torch.Generator().manual_seed(0))
    assert crops.shape == images.shape and crops.dtype == torch.uint8
    padded = F.pad(images, (padding,) * 4)
    offsets = set()
    for crop, source in zip(crops, padded, strict=True):
        # Every crop is a window of the zero-padded image at an offset within [0, 2 * padding].
        matches = [(y, x) for y in range(2 * padding + 1) for x in range(2 * padding + 1)
                   if torch.equal(source[:, y:y + 8, x:x + 8], crop)]
        assert matches, "a crop is not a window of the padded image"
        offsets.add(matches[0])
    assert len(offsets) > 5, "offsets should vary from image to image"


def test_hflip_flips_about_half_of_the_images_exactly() -> None:
    images = _distinct_images(200).float()
    out = random_hflip(images, 0.5, torch.Generator().manual_seed(1))
    flipped = torch.tensor([torch.equal(o, i.flip(-1)) for o, i in zip(out, images, strict=True)])
    kept = torch.tensor([torch.equal(o, i) for o, i in zip(out, images, strict=True)])
    assert bool((flipped | kept).all())
    assert 60 < int(flipped.sum()) < 140


def test_resized_crop_boxes_respect_scale_and_bounds() -> None:
    boxes = random_resized_crop_boxes(500, 32, 32, (0.2, 1.0), (3 / 4, 4 / 3), torch.device("cpu"),
                                      torch.Generator().manual_seed(2))
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    assert bool((boxes[:, :2] >= 0).all()) and bool((boxes[:, 2] <= 32).all()) and bool((boxes[:, 3] <= 32).all())
    area = w * h / (32 * 32)
    assert bool((area > 0.15).all()) and bool((area <= 1.0).all())


def test_plan_translates_the_classification_presets() -> None:
    train = plan_from_transform(classification_train_transform(32, "cifar10", crop_padding=4, hflip=True))
    assert (train.resize, train.augmentation.crop_padding, train.augmentation.hflip) == (32, 4, 0.5)
    assert train.augmentation.mean == pytest.approx((0.4914, 0.4822, 0.4465))
    evaluation = plan_from_transform(classification_eval_transform(32, "cifar10"))
    assert evaluation.augmentation.crop_padding == 0 and evaluation.augmentation.hflip == 0
    jittered = plan_from_transform(classification_train_transform(32, "cifar10", color_jitter=0.4))
    assert jittered.augmentation.jitter == pytest.approx((0.4, 0.4, 0.4, 0.0))
    assert jittered.augmentation.jitter_p == 1.0
    with pytest.raises(ConfigError, match="RandomRotation"):
        plan_from_transform(v2.Compose([v2.RandomRotation(10)]))


def test_plan_translates_random_apply_jitter_grayscale_and_vertical_flip() -> None:
    transform = v2.Compose([v2.RandomApply([v2.ColorJitter(0.8, 0.8, 0.8, 0.2)], p=0.8),
                            v2.RandomGrayscale(0.2), v2.RandomVerticalFlip(0.3)])
    augmentation = plan_from_transform(transform).augmentation
    assert augmentation.jitter == pytest.approx((0.8, 0.8, 0.8, 0.2))
    assert (augmentation.jitter_p, augmentation.grayscale_p, augmentation.vflip) == pytest.approx((0.8, 0.2, 0.3))
    with pytest.raises(ConfigError, match="symmetric"):
        plan_from_transform(v2.ColorJitter(brightness=(0.9, 1.5)))


def test_hue_shift_matches_torchvision_per_image() -> None:
    images = torch.rand(6, 3, 8, 8)
    shifts = torch.tensor([-0.5, -0.3, -0.05, 0.0, 0.2, 0.45])
    expected = torch.stack([TF.adjust_hue(image, float(s)) for image, s in zip(images, shifts, strict=True)])
    assert torch.allclose(shift_hue(images, shifts.view(-1, 1, 1)), expected, atol=1e-4)


def test_blur_matches_a_gaussian_of_the_drawn_sigma() -> None:
    images = torch.rand(1, 3, 15, 15)
    sigma = 1.3
    out = random_gaussian_blur(images, (sigma, sigma), p=1.0)
    expected = TF.gaussian_blur(images, kernel_size=[9, 9], sigma=[sigma, sigma])
    assert torch.allclose(out[..., 4:-4, 4:-4], expected[..., 4:-4, 4:-4], atol=1e-3)  # borders pad differently
    assert torch.equal(random_gaussian_blur(images, (sigma, sigma), p=0.0), images)


def test_rotation_vertical_flip_and_solarisation_act_per_image() -> None:
    images = torch.rand(200, 3, 6, 6)
    generator = torch.Generator().manual_seed(4)
    rotated = random_rot90(images, 0.5, generator)
    turned = torch.tensor([torch.equal(o, i.rot90(1, dims=(-2, -1))) for o, i in zip(rotated, images, strict=True)])
    kept = torch.tensor([torch.equal(o, i) for o, i in zip(rotated, images, strict=True)])
    assert bool((turned | kept).all()) and 60 < int(turned.sum()) < 140
    flipped = random_vflip(images, 1.0, generator)
    assert torch.equal(flipped, images.flip(-2))
    solarized = random_solarize(images, 1.0, 0.5, generator)
    assert torch.equal(solarized, torch.where(images >= 0.5, 1 - images, images))


def test_batch_augmentation_matches_per_image_normalisation() -> None:
    images = torch.randint(0, 256, (4, 3, 16, 16), dtype=torch.uint8)
    transform = classification_eval_transform(16, "shapes")
    plan = plan_from_transform(transform)
    expected = torch.stack([transform(image) for image in images])
    assert torch.allclose(plan.augmentation(images), expected, atol=1e-5)


def test_loader_shuffles_per_epoch_and_yields_two_views() -> None:
    images = _distinct_images(10)
    labels = torch.arange(10)
    plan = plan_from_transform(classification_train_transform(8, "shapes", crop_padding=1))
    loader = DeviceBatchLoader(images, labels, batch_size=4, augmentation=plan.augmentation, seed=3, views=2)
    assert len(loader) == 3
    epoch0 = torch.cat([target for _, target in loader])
    assert sorted(epoch0.tolist()) == list(range(10))
    loader.set_epoch(1)
    (view1, view2), target = next(iter(loader))
    assert view1.shape == view2.shape == (4, 3, 8, 8) and view1.dtype == torch.float32
    assert not torch.equal(view1, view2), "the two views draw their augmentations independently"
    assert not torch.equal(torch.cat([t for _, t in loader]), epoch0)


def test_loader_applies_one_augmentation_per_view() -> None:
    images = torch.randint(0, 256, (8, 3, 8, 8), dtype=torch.uint8)
    plain = plan_from_transform(classification_eval_transform(8, "shapes")).augmentation
    solarizing = plan_from_transform(v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True)])).augmentation
    solarizing.solarize_p = 1.0
    loader = DeviceBatchLoader(images, torch.arange(8), batch_size=8, augmentation=[plain, solarizing],
                               shuffle=False)
    (first, second), _ = next(iter(loader))
    assert torch.allclose(first, plain(images))
    x = images.float() / 255
    assert torch.allclose(second, torch.where(x >= 0.5, 1 - x, x))


@pytest.mark.parametrize(("height", "width", "size", "scale"), [(32, 32, 32, (0.8, 1.0)), (32, 32, 24, (0.08, 1.0)),
                                                             (200, 300, 64, (0.08, 1.0))])
def test_resampled_boxes_are_torchvisions_roi_align(height: int, width: int, size: int, scale) -> None:
    from torchvision.ops import roi_align

    generator = torch.Generator().manual_seed(0)
    images = torch.rand(12, 3, height, width, generator=generator)
    boxes = random_resized_crop_boxes(12, height, width, scale, (3 / 4, 4 / 3), images.device, generator)
    indexed = torch.cat([torch.arange(12, dtype=boxes.dtype)[:, None], boxes], dim=1)
    expected = roi_align(images, indexed, output_size=(size, size), spatial_scale=1.0, sampling_ratio=2, aligned=True)
    torch.testing.assert_close(resample_boxes(images, boxes, size), expected, rtol=0, atol=5e-5)


def test_nearest_resampling_picks_the_pixel_under_each_bilinear_sample() -> None:
    masks = torch.arange(64, dtype=torch.uint8).view(1, 1, 8, 8)
    whole = torch.tensor([[0.0, 0.0, 8.0, 8.0]])
    assert torch.equal(resample_boxes_nearest(masks, whole, 8), masks)  # the whole image at its size: unchanged
    left_half = torch.tensor([[0.0, 0.0, 4.0, 8.0]])
    upscaled = resample_boxes_nearest(masks, left_half, 8)
    assert torch.equal(upscaled[0, 0, :, ::2], masks[0, 0, :, :4]) and torch.equal(upscaled[0, 0, :, 1::2],
                                                                                   masks[0, 0, :, :4])
    # A constant region resampled bilinearly keeps its value where the mask keeps its label.
    images = (masks.float() >= 32).float()
    assert torch.equal(resample_boxes(images, left_half, 8) > 0.5, upscaled >= 32)


def test_pair_augmentation_pads_masks_with_ignore_index_and_keeps_them_integer() -> None:
    images = torch.full((16, 3, 8, 8), 200, dtype=torch.uint8)
    masks = torch.ones(16, 8, 8, dtype=torch.uint8)
    augmentation = BatchAugmentation(mean=(0.0,) * 3, std=(1.0,) * 3, crop_padding=2)
    out, moved = augmentation.augment_pair(images, masks, torch.Generator().manual_seed(0), ignore_index=255)
    assert moved.dtype == torch.int64 and moved.shape == (16, 8, 8)
    assert set(moved.unique().tolist()) == {1, 255}
    assert torch.equal(out[:, 0] == 0, moved == 255)  # padding is black in the image and ignored in the mask
    _, background = augmentation.augment_pair(images, masks, torch.Generator().manual_seed(0), ignore_index=None)
    assert set(background.unique().tolist()) == {0, 1}  # without an ignore index: 0, as torchvision pads masks
    with pytest.raises(ValueError, match="do not match"):
        augmentation.augment_pair(images, masks[:, :4])


def test_dataset_tensors_are_masks_for_a_segmentation_dataset() -> None:
    segmentation = ShapesDataset("train", 6, 32, seed=0, target="mask", max_shapes=3)
    images, masks = dataset_tensors(segmentation)
    assert images.shape == (6, 3, 32, 32) and images.dtype == torch.uint8
    assert masks.shape == (6, 32, 32) and torch.equal(masks, segmentation.masks)
    _, labels = dataset_tensors(ShapesDataset("train", 6, 32, seed=0))
    assert labels.shape == (6,)


def test_loader_yields_masks_and_refuses_two_views_of_them() -> None:
    images = torch.randint(0, 256, (10, 3, 8, 8), dtype=torch.uint8)
    masks = torch.randint(0, 3, (10, 8, 8), dtype=torch.uint8)
    plain = plan_from_transform(classification_eval_transform(8, "shapes")).augmentation
    loader = DeviceBatchLoader(images, masks, batch_size=4, augmentation=plain, shuffle=False)
    batch_images, batch_masks = next(iter(loader))
    assert batch_images.shape == (4, 3, 8, 8) and torch.equal(batch_masks, masks[:4].long())
    with pytest.raises(ConfigError, match="data.on_device=false"):
        DeviceBatchLoader(images, masks, batch_size=4, augmentation=plain, views=2)
