"""The pre-flight check of detection data: problems stop the run before training, each naming its
files and the fix; what is only worth knowing (images without boxes, crowd regions) is noted."""

from __future__ import annotations

import json

import pytest

from nnframe.core.errors import DatasetError
from nnframe.det.data import CocoDataModule, YoloDataModule, detection_eval_transform
from nnframe.det.testing import IMAGES, write_coco, write_yolo


def coco_datamodule(tmp_path, **kwargs):
    annotations, folder = write_coco(tmp_path)
    return CocoDataModule(train_annotations=str(annotations), train_images=str(folder),
                          val_annotations=str(annotations), val_images=str(folder), root=str(tmp_path), **kwargs)


def _edit_coco(tmp_path, edit):
    path = tmp_path / "instances.json"
    content = json.loads(path.read_text())
    edit(content)
    path.write_text(json.dumps(content))


def test_clean_data_notes_empty_images_and_crowd_regions(tmp_path):
    datamodule = coco_datamodule(tmp_path)
    report = datamodule.setup_splits(["train", "val"])
    notes = "\n".join(report.notes)
    assert "train: 1 of 3 images have no boxes" in notes  # c.jpg
    assert "train: 1 crowd region(s) (iscrowd=1) of 4 boxes: not training targets" in notes
    assert datamodule.num_classes == 2 and datamodule.class_names == ["cat", "dog"]
    # Crowd regions are counted out of the per-class box counts.
    assert datamodule.datasets["train"].label_counts() == [1, 2]


def test_box_outside_the_image_names_the_file_and_the_fix(tmp_path):
    datamodule = coco_datamodule(tmp_path)
    _edit_coco(tmp_path, lambda c: c["annotations"][0].update(bbox=[50, 6, 30, 34]))  # x2 = 80 > 64
    with pytest.raises(DatasetError, match=r"(?s)1 train image\(s\) have boxes outside their image:.*a\.jpg.*"
                                           r"outside the 64x48 image.*data\.fix_boxes=true"):
        datamodule.setup_splits(["train"])


def test_fix_boxes_clips_them_and_the_run_goes_on(tmp_path):
    """The hint of the error above, followed: the boxes are clipped to the image."""
    datamodule = coco_datamodule(tmp_path, fix_boxes=True, train_transform=detection_eval_transform())
    _edit_coco(tmp_path, lambda c: c["annotations"][0].update(bbox=[50, 6, 30, 34]))
    report = datamodule.setup_splits(["train"])
    assert any("boxes outside their image: clipped" in note for note in report.notes)
    _, target = datamodule.datasets["train"][0]
    assert float(target["boxes"][:, 2].max()) <= 64


def test_degenerate_box_is_an_error(tmp_path):
    datamodule = coco_datamodule(tmp_path)
    _edit_coco(tmp_path, lambda c: c["annotations"][1].update(bbox=[20, 10, 0, 34]))
    with pytest.raises(DatasetError, match=r"(?s)degenerate boxes:.*a\.jpg.*zero or negative width/height"):
        datamodule.setup_splits(["train"])


def test_class_id_out_of_range_names_the_label_file(tmp_path):
    root = write_yolo(tmp_path)
    (root / "labels" / "train" / "b.txt").write_text("7 0.5 0.5 0.2 0.2\n")
    datamodule = YoloDataModule(root=str(root), val_fraction=0.34, seed=0)
    with pytest.raises(DatasetError, match=r"(?s)have class ids outside the 2 classes.*b\.txt: class ids \[7\]"):
        datamodule.setup_splits(["train", "val"])


def test_unreadable_image_names_the_file(tmp_path):
    datamodule = coco_datamodule(tmp_path)
    (tmp_path / "images" / IMAGES[1][0]).write_bytes(b"not a jpeg")
    with pytest.raises(DatasetError, match=r"(?s)cannot be used:.*b\.jpg"):
        datamodule.setup_splits(["train"])
