"""torchvision detectors by name: local weights loaded into all but the class head, reported."""

from __future__ import annotations

import pytest
import torch

from nnframe.core.errors import ConfigError
from nnframe.det.models import has_background_class, tiny_fcos, torchvision_detector


def test_pretrained_file_loads_all_but_the_class_head(tmp_path, caplog):
    caplog.set_level("INFO")
    coco = torchvision_detector("fasterrcnn_mobilenet_320", num_classes=90)  # COCO's 91 ids with background
    path = tmp_path / "weights.pth"
    torch.save(coco.state_dict(), path)
    net = torchvision_detector("fasterrcnn_mobilenet_320", num_classes=5, pretrained_file=str(path))
    assert has_background_class(net) and net.roi_heads.box_predictor.cls_score.out_features == 6
    backbone_key = "backbone.body.0.0.weight"
    torch.testing.assert_close(net.state_dict()[backbone_key], coco.state_dict()[backbone_key])
    output = caplog.text  # rank_zero_info: Lightning's logger
    assert f"weights from {path}:" in output and "tensors loaded" in output
    assert "new (the class head, sized for this data): roi_heads.box_predictor.bbox_pred.bias" in output


def test_pretrained_file_that_is_not_a_state_dict(tmp_path):
    path = tmp_path / "notes.pth"
    path.write_text("not weights")
    with pytest.raises(ConfigError, match=r"model\.net\.pretrained_file=.*notes\.pth is not a state dict"):
        torchvision_detector("fasterrcnn_mobilenet_320", num_classes=5, pretrained_file=str(path))


def test_unknown_detector_lists_the_names():
    with pytest.raises(ConfigError, match=r"model\.net\.name='yolo' .*retinanet_resnet50_v2"):
        torchvision_detector("yolo", num_classes=5)


def test_tiny_fcos_detects_in_eval_and_trains_on_losses():
    net = tiny_fcos(num_classes=5, min_size=48, normalization="shapes")
    assert not has_background_class(net)
    images = [torch.rand(3, 48, 48), torch.rand(3, 48, 48)]
    targets = [{"boxes": torch.tensor([[4.0, 4.0, 20.0, 24.0]]), "labels": torch.tensor([0])},
               {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)}]
    losses = net(images, targets)
    assert set(losses) == {"classification", "bbox_regression", "bbox_ctrness"}
    net.eval()
    with torch.no_grad():
        detections = net(images)
    assert len(detections) == 2 and set(detections[0]) == {"boxes", "scores", "labels"}


def test_crowd_regions_are_not_training_targets_but_reach_the_metric():
    from functools import partial

    from nnframe.det import DetectionModule

    net = torchvision_detector("fasterrcnn_mobilenet_320", num_classes=2)  # class 0 is its background
    module = DetectionModule(net, optimizer=partial(torch.optim.SGD, lr=0.01))
    target = {"boxes": torch.tensor([[0.0, 0, 10, 10], [5, 5, 30, 30]]), "labels": torch.tensor([0, 1]),
              "iscrowd": torch.tensor([0, 1])}
    (train,) = module.training_targets([target])
    assert train["labels"].tolist() == [1] and train["boxes"].tolist() == [[0, 0, 10, 10]]  # data's 0 -> its 1
    (metric,) = module.metric_targets([target])
    assert metric["labels"].tolist() == [0, 1] and metric["iscrowd"].tolist() == [0, 1]
    (found,) = module.detections([{"boxes": torch.zeros(1, 4), "scores": torch.ones(1), "labels": torch.tensor([2])}])
    assert found["labels"].tolist() == [1]  # back to the data's ids
