"""The embedded shapes dataset is deterministic and its masks agree with its labels."""

from __future__ import annotations

import numpy as np
import pytest

from nnframe.core.data import SHAPE_NAMES, ShapesDataset, generate_shapes


def test_same_seed_same_images_other_seed_other_images() -> None:
    a, b, c = generate_shapes(8, 32, seed=1), generate_shapes(8, 32, seed=1), generate_shapes(8, 32, seed=2)
    assert np.array_equal(a.images, b.images) and np.array_equal(a.labels, b.labels)
    assert not np.array_equal(a.images, c.images)


def test_main_shape_is_in_the_mask_with_its_class() -> None:
    arrays = generate_shapes(50, 32, seed=0)
    assert set(arrays.labels.tolist()) <= set(range(len(SHAPE_NAMES)))
    for mask, label in zip(arrays.masks, arrays.labels, strict=True):
        assert (mask == label + 1).sum() > 20  # the labelled shape covers a real area
        assert set(np.unique(mask).tolist()) <= {0, label + 1}


def test_classes_are_balanced_enough() -> None:
    counts = np.bincount(generate_shapes(1000, 32, seed=3).labels, minlength=len(SHAPE_NAMES))
    assert counts.min() > 150


def test_splits_differ_and_segmentation_target() -> None:
    train = ShapesDataset("train", 4, 32, seed=0)
    val = ShapesDataset("val", 4, 32, seed=0)
    assert not np.array_equal(train.images.numpy(), val.images.numpy())
    seg = ShapesDataset("train", 4, 32, seed=0, target="mask", max_shapes=3)
    image, mask = seg[0]
    assert image.shape == (3, 32, 32) and mask.shape == (32, 32)
    assert seg.class_names[0] == "background"


def test_rejects_unknown_split_and_tiny_images() -> None:
    with pytest.raises(ValueError, match="split"):
        ShapesDataset("validation", 4)
    with pytest.raises(ValueError, match="at least 16"):
        generate_shapes(1, 8)
