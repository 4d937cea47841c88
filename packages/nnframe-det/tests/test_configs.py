"""Every option of det's config groups composes, and every model builds for the data's classes."""

from __future__ import annotations

import hydra
import pytest

from nnframe.core.testing.compose import compose_task_config

PACKAGE = "nnframe.det.configs"
MODELS = ["fcos_tiny", "fasterrcnn_mobilenet", "fasterrcnn_resnet50_v2", "retinanet_resnet50_v2", "fcos_resnet50",
          "ssdlite320"]


@pytest.mark.parametrize("model", MODELS)
def test_model_option_builds_with_a_head_for_the_data(model):
    cfg = compose_task_config(PACKAGE, [f"model={model}"])
    assert cfg.monitor == "val/map" and cfg.model.net.num_classes == 5
    net = hydra.utils.instantiate(cfg.model.net)
    classes = {"fcos_tiny": 5, "retinanet_resnet50_v2": 5, "fcos_resnet50": 5}.get(model, 6)  # + background
    heads = {"fasterrcnn_mobilenet": lambda n: n.roi_heads.box_predictor.cls_score.out_features,
             "fasterrcnn_resnet50_v2": lambda n: n.roi_heads.box_predictor.cls_score.out_features,
             "ssdlite320": lambda n: n.head.classification_head.num_columns}
    got = heads[model](net) if model in heads else net.head.classification_head.num_classes
    assert got == classes


@pytest.mark.parametrize("overrides", [["data=coco"], ["data=voc"], ["data=yolo"],
                                       ["experiment=voc_fasterrcnn_mobilenet"],
                                       ["experiment=coco_retinanet_resnet50_v2"], ["bench=cpu_tiny"]])
def test_options_compose(overrides):
    cfg = compose_task_config(PACKAGE, overrides)
    assert cfg.data._target_.startswith("nnframe.det.data.")
