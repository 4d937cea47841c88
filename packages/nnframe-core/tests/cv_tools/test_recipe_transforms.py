"""MixUp / CutMix give soft targets; the auto-augment policies, random erasing and interpolation
of the classification presets."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision.transforms import v2

from nnframe.core.cv_tools import batch_mixing, classification_eval_transform, classification_train_transform
from nnframe.core.cv_tools.transforms import AUTO_AUGMENT_POLICIES, PILImageTransform
from nnframe.core.errors import ConfigError


def _batch() -> tuple[torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    return torch.randn(8, 3, 16, 16), torch.tensor([0, 1, 2, 3, 0, 1, 2, 3])


@pytest.mark.parametrize(("mixup", "cutmix"), [(0.4, 0.0), (0.0, 1.0), (0.4, 1.0)])
def test_mixing_gives_soft_targets_of_two_classes(mixup: float, cutmix: float) -> None:
    images, labels = _batch()
    mixed, targets = batch_mixing(4, mixup, cutmix)(images, labels)  # type: ignore[misc]
    assert mixed.shape == images.shape and not torch.equal(mixed, images)
    assert targets.shape == (8, 4) and targets.dtype.is_floating_point
    torch.testing.assert_close(targets.sum(1), torch.ones(8))
    assert ((targets > 0).sum(1) <= 2).all() and (targets.max(1).values < 1).any()
    # each row mixes the image's own label with its neighbour's (torchvision rolls the batch)
    assert (targets[torch.arange(8), labels] > 0).all()


def test_no_alpha_no_mixing_and_non_class_targets_are_refused() -> None:
    assert batch_mixing(4, 0.0, 0.0) is None
    images, _ = _batch()
    with pytest.raises(ConfigError, match="class labels"):
        batch_mixing(4, 0.2)(images, torch.zeros(8, 16, 16, dtype=torch.long))  # type: ignore[misc]


@pytest.mark.parametrize("policy", AUTO_AUGMENT_POLICIES)
def test_auto_augment_policies_run_on_pil_images_and_tensors(policy: str) -> None:
    transform = classification_train_transform(16, "imagenet", crop="random_resized_crop", auto_augment=policy)
    assert any(isinstance(step, PILImageTransform | v2.RandAugment | v2.TrivialAugmentWide | v2.AutoAugment)
               for step in transform.transforms)
    image = Image.fromarray(np.random.default_rng(0).integers(0, 256, (20, 24, 3), dtype=np.uint8))
    for sample in (image, torch.randint(0, 256, (3, 20, 24), dtype=torch.uint8)):
        out, target = transform(sample, 3)
        assert out.shape == (3, 16, 16) and out.dtype == torch.float32 and target == 3


def test_timm_rand_augment_string_is_timms() -> None:
    from timm.data.auto_augment import RandAugment

    transform = classification_train_transform(16, auto_augment="rand-m9-mstd0.5")
    wrapper = next(step for step in transform.transforms if isinstance(step, PILImageTransform))
    assert isinstance(wrapper.pil_transform, RandAugment)
    with pytest.raises(ValueError, match="auto_augment='randomly'.*trivial"):
        classification_train_transform(16, auto_augment="randomly")


def test_random_erasing_comes_after_normalisation() -> None:
    transform = classification_train_transform(16, "imagenet", random_erasing=1.0)
    assert isinstance(transform.transforms[-1], v2.RandomErasing) and transform.transforms[-1].p == 1.0
    assert isinstance(transform.transforms[-2], v2.Normalize)


def test_interpolation_reaches_every_resize() -> None:
    train = classification_train_transform(16, crop="random_resized_crop", interpolation="bicubic")
    evaluation = classification_eval_transform(16, resize_ratio=0.95, interpolation="bicubic")
    resizes = [s for s in [*train.transforms, *evaluation.transforms] if isinstance(s, v2.Resize | v2.RandomResizedCrop)]
    assert len(resizes) == 2 and all(s.interpolation == v2.InterpolationMode.BICUBIC for s in resizes)
    assert evaluation.transforms[1].size == [round(16 / 0.95)]
    with pytest.raises(ValueError, match="interpolation"):
        classification_eval_transform(16, interpolation="lanczos")
