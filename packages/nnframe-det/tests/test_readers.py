"""The COCO, VOC and YOLO readers give the boxes torchvision's own readers give."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torchvision import datasets

from nnframe.core.errors import DatasetError
from nnframe.det.data import read_coco, read_voc_split, read_yolo_labels
from nnframe.det.data.yolo_files import image_size, read_yolo_split
from nnframe.det.testing import CLASSES, IMAGES, write_coco, write_voc, write_yolo


def test_coco_boxes_equal_torchvision_cocodetection(tmp_path):
    pytest.importorskip("pycocotools")
    annotations, folder = write_coco(tmp_path)
    paths, ours, names, ids = read_coco(annotations, folder)
    assert names == CLASSES and ids == [3, 7]  # categories sorted by id, whatever their order in the file
    reference = datasets.wrap_dataset_for_transforms_v2(datasets.CocoDetection(str(folder), str(annotations)),
                                                        target_keys=("boxes", "labels", "image_id"))
    assert len(reference) == len(ours) == len(IMAGES)
    for index, annotation in enumerate(ours):
        _, target = reference[index]
        assert paths[index].name == IMAGES[index][0]
        if "boxes" not in target:  # torchvision gives no boxes key for an image without annotations
            assert len(annotation.boxes) == 0
            continue
        np.testing.assert_allclose(annotation.boxes, target["boxes"].numpy(), atol=1e-5)
        assert [ids[i] for i in annotation.labels] == target["labels"].tolist()
    assert ours[1].iscrowd.tolist() == [False, True]
    assert ours[0].size == (64, 48)


def test_voc_boxes_equal_torchvision_vocdetection(tmp_path):
    voc = write_voc(tmp_path)
    paths, ours = read_voc_split(voc, "train", CLASSES)
    _, voc_ids = read_voc_split(voc, "train")  # the 20 VOC classes
    reference = datasets.wrap_dataset_for_transforms_v2(
        datasets.VOCDetection(str(tmp_path), year="2012", image_set="train"))
    assert len(reference) == len(ours)
    for index, annotation in enumerate(ours):
        assert paths[index].name == IMAGES[index][0]
        if not IMAGES[index][3]:  # torchvision's wrapper fails on an image without objects (KeyError)
            assert len(annotation.boxes) == 0
            continue
        _, target = reference[index]
        np.testing.assert_allclose(annotation.boxes, target["boxes"].numpy(), atol=1e-5)
        assert [CLASSES[i] for i in annotation.labels] == [c for c, *_ in IMAGES[index][3]]
        # Read with the 20 VOC classes, the ids are torchvision's minus its "__background__" 0.
        assert (voc_ids[index].labels + 1).tolist() == target["labels"].tolist()
    assert ours[1].size == (40, 56)
    # difficult objects: training targets by default (as torchvision keeps them), ignored regions on request
    _, strict = read_voc_split(voc, "train", CLASSES, use_difficult=False)
    assert strict[1].iscrowd.tolist() == [False, True] and not ours[1].iscrowd.any()


def test_yolo_rows_become_pixel_boxes(tmp_path):
    root = write_yolo(tmp_path)
    images, labels = read_yolo_split(root, "train")
    assert [p.name for p in images] == [n for n, *_ in IMAGES]
    for index, (image, label) in enumerate(zip(images, labels, strict=True)):
        annotation = read_yolo_labels(label, image_size(image))
        expected = np.array([b[1:5] for b in IMAGES[index][3]], dtype=np.float32).reshape(-1, 4)
        np.testing.assert_allclose(annotation.boxes, expected, atol=1e-3)
        assert [CLASSES[i] for i in annotation.labels] == [b[0] for b in IMAGES[index][3]]
    assert not labels[2].exists()  # no label file: an image without boxes


def test_yolo_bad_row_names_the_file_and_line(tmp_path):
    root = write_yolo(tmp_path)
    label = root / "labels" / "train" / "a.txt"
    label.write_text("0 0.5 0.5 0.2 0.2\n1 0.5 0.5 0.2\n")
    with pytest.raises(DatasetError, match=r"a\.txt, line 2: .* is not a YOLO row `class cx cy w h`"):
        read_yolo_labels(label, (64, 48))


def test_coco_unknown_category_names_the_annotation(tmp_path):
    import json

    annotations, folder = write_coco(tmp_path)
    content = json.loads(annotations.read_text())
    content["annotations"][0]["category_id"] = 99
    annotations.write_text(json.dumps(content))
    with pytest.raises(DatasetError, match=r"(?s)instances\.json: 1 annotation.*category_id 99 is not in the categories"):
        read_coco(annotations, folder)


def test_voc_unknown_class_names_the_file(tmp_path):
    voc = write_voc(tmp_path)
    with pytest.raises(DatasetError, match=r"a\.xml: object class 'dog' is not one of the 1 classes.*data\.class_names"):
        read_voc_split(voc, "train", ["cat"])


def test_targets_follow_a_flip(tmp_path):
    """The boxes go through torchvision v2 with the image: a flip moves them."""
    from torchvision.transforms import v2

    from nnframe.det.data import DetectionTransform, FileDetectionDataset

    annotations, folder = write_coco(tmp_path)
    paths, ours, names, _ = read_coco(annotations, folder)
    transform = DetectionTransform([v2.RandomVerticalFlip(p=1.0)])
    dataset = FileDetectionDataset(paths, ours, names, transform)
    image, target = dataset[0]
    assert image.dtype == torch.float32 and image.shape == (3, 48, 64) and float(image.max()) <= 1
    expected = torch.tensor([[4, 48 - 40, 30, 48 - 6], [20.5, 48 - 44, 60, 48 - 10]])
    torch.testing.assert_close(target["boxes"].as_subclass(torch.Tensor), expected)
    assert target["labels"].tolist() == [0, 1] and target["iscrowd"].tolist() == [0, 0]
