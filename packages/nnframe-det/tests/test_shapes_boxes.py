"""The embedded detection shapes: a box per visible shape, from core's shape instances."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from nnframe.core.data import generate_shape_instances
from nnframe.det.data import ShapesDetectionDataset, generate_shape_boxes
from nnframe.det.data.shapes_boxes import MIN_VISIBLE_PIXELS


def test_the_embedded_detection_shapes_stay_the_same() -> None:
    # The demos' mAP is measured on these images and boxes: update the hash only on purpose.
    b = generate_shape_boxes(16, 48, seed=7)
    digest = hashlib.sha256(b.images.tobytes() + np.concatenate(b.boxes).tobytes()
                            + np.concatenate(b.labels).tobytes()).hexdigest()
    assert digest == "cae18ae523b24319ef81a42b7fcfb9b024ecadcb2f77e6993c7e7a9193d06402"


def test_each_box_is_the_visible_extent_of_one_shape() -> None:
    boxes = generate_shape_boxes(40, 48, seed=3, max_shapes=4)
    shapes = generate_shape_instances(40, 48, seed=3, max_shapes=4, first_radius=(0.1, 0.22), radius=(0.1, 0.22))
    assert np.array_equal(boxes.images, shapes.images)
    hidden = 0
    for i in range(40):
        expected_boxes, expected_labels = [], []
        for k, kind in enumerate(shapes.kinds[i]):
            rows, cols = np.nonzero(shapes.instances[i] == k)
            if kind < 0 or len(rows) < MIN_VISIBLE_PIXELS:
                hidden += kind >= 0
                continue
            expected_boxes.append([cols.min(), rows.min(), cols.max() + 1, rows.max() + 1])
            expected_labels.append(kind)
        assert np.array_equal(boxes.boxes[i], np.array(expected_boxes, np.float32).reshape(-1, 4))
        assert np.array_equal(boxes.labels[i], np.array(expected_labels, np.int64))
    assert hidden  # some shapes are (nearly) covered by later ones and have no box


def test_splits_have_their_own_images_and_an_unknown_split_is_refused() -> None:
    train, val = ShapesDetectionDataset("train", 4, 48), ShapesDetectionDataset("val", 4, 48)
    assert not np.array_equal(train.images.numpy(), val.images.numpy())
    with pytest.raises(ValueError, match="unknown split 'validation'"):
        ShapesDetectionDataset("validation", 4, 48)
