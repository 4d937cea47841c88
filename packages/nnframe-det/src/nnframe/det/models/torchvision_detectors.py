"""torchvision's detectors by name, their heads sized to the data's classes.

``pretrained=true`` loads torchvision's COCO weights (downloaded as torchvision does) and
``pretrained_file`` a local state dict (``torch.load(weights_only=True)``): every tensor whose name
and shape fit is loaded, the class head (sized for COCO's 91 ids) starts afresh, and what was
loaded and left out is reported.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from lightning.pytorch.utilities import rank_zero_info
from torch import nn
from torchvision.models import detection
from torchvision.models.detection.ssd import SSD

from nnframe.core.checkpointing.safe_load import load_checkpoint
from nnframe.core.errors import ConfigError, NnframeError


@dataclass(frozen=True)
class DetectorEntry:
    """A torchvision detector as ``model.net.name`` chooses it.

    Args:
        builder: torchvision's builder function.
        weights: its COCO weights enum member (``pretrained=true``).
        background_class: the model's class 0 is the background (Faster R-CNN, SSD): it is built
            with one class more and the data's class ``k`` is its ``k + 1``.
        card: the COCO box mAP torchvision's model card gives for these weights.
    """

    builder: Callable[..., nn.Module]
    weights: Any
    background_class: bool
    card: str


DETECTORS: dict[str, DetectorEntry] = {
    "fasterrcnn_mobilenet": DetectorEntry(detection.fasterrcnn_mobilenet_v3_large_fpn,
                                          detection.FasterRCNN_MobileNet_V3_Large_FPN_Weights.COCO_V1, True,
                                          "COCO val2017 box mAP 32.8"),
    "fasterrcnn_mobilenet_320": DetectorEntry(detection.fasterrcnn_mobilenet_v3_large_320_fpn,
                                              detection.FasterRCNN_MobileNet_V3_Large_320_FPN_Weights.COCO_V1,
                                              True, "COCO val2017 box mAP 22.8"),
    "fasterrcnn_resnet50_v2": DetectorEntry(detection.fasterrcnn_resnet50_fpn_v2,
                                            detection.FasterRCNN_ResNet50_FPN_V2_Weights.COCO_V1, True,
                                            "COCO val2017 box mAP 46.7"),
    "retinanet_resnet50_v2": DetectorEntry(detection.retinanet_resnet50_fpn_v2,
                                           detection.RetinaNet_ResNet50_FPN_V2_Weights.COCO_V1, False,
                                           "COCO val2017 box mAP 41.5"),
    "fcos_resnet50": DetectorEntry(detection.fcos_resnet50_fpn, detection.FCOS_ResNet50_FPN_Weights.COCO_V1, False,
                                   "COCO val2017 box mAP 39.2"),
    "ssdlite320": DetectorEntry(detection.ssdlite320_mobilenet_v3_large,
                                detection.SSDLite320_MobileNet_V3_Large_Weights.COCO_V1, True,
                                "COCO val2017 box mAP 21.3"),
}


def has_background_class(net: nn.Module) -> bool:
    """Whether ``net``'s class 0 is the background (the data's class ``k`` is its ``k + 1``)."""
    return isinstance(net, detection.FasterRCNN | SSD)


def load_matching(net: nn.Module, state: Mapping[str, torch.Tensor], source: str) -> dict[str, list[str]]:
    """Load the tensors of ``state`` whose name and shape fit ``net``; report the rest.

    Returns:
        ``{"loaded": [...], "new": [...] (in net, not loaded), "unused": [...] (in state, not used)}``.
    """
    own = net.state_dict()
    fitting = {k: v for k, v in state.items() if k in own and tuple(own[k].shape) == tuple(v.shape)}
    if not fitting:
        raise ConfigError(f"no tensor of {source} fits model.net.name's network (names or shapes differ): is it a "
                          "state dict of the same torchvision detector?")
    net.load_state_dict(fitting, strict=False)
    report = {"loaded": sorted(fitting), "new": sorted(set(own) - set(fitting)),
              "unused": sorted(set(state) - set(fitting))}
    new = report["new"]
    rank_zero_info(f"weights from {source}: {len(fitting)} of {len(own)} tensors loaded"
                   + (f"; {len(new)} new (the class head, sized for this data): {', '.join(new[:6])}"
                      f"{' ...' if len(new) > 6 else ''}" if new else "")
                   + (f"; {len(report['unused'])} of the file not used" if report["unused"] else ""))
    return report


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """A state dict from a file, as data (``weights_only=True``): a plain one, or a checkpoint's
    ``state_dict`` / ``model`` entry (Lightning's keys ``net.`` stripped)."""
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"model.net.pretrained_file={path} does not exist")
    try:  # core's safe load: plain tensors and values only, and nnframe's own refusal
        loaded = load_checkpoint(file, "pretrained weights file", mmap=False)
    except NnframeError as error:
        raise ConfigError(f"model.net.pretrained_file={path} is not a state dict: {error}") from None
    for key in ("state_dict", "model"):
        if isinstance(loaded, dict) and isinstance(loaded.get(key), dict):
            loaded = loaded[key]
    if not isinstance(loaded, dict):
        raise ConfigError(f"model.net.pretrained_file={path} holds a {type(loaded).__name__}, not a state dict")
    return {k.removeprefix("net."): v for k, v in loaded.items() if isinstance(v, torch.Tensor)}


def torchvision_detector(name: str, num_classes: int, pretrained: bool = False, pretrained_file: str | None = None,
                         min_size: int | None = None, max_size: int | None = None,
                         image_mean: Sequence[float] | None = None, image_std: Sequence[float] | None = None,
                         trainable_backbone_layers: int | None = None, pretrained_backbone: bool = False,
                         **kwargs: Any) -> nn.Module:
    """Build torchvision's detector ``name`` (a key of :data:`DETECTORS`) for ``num_classes`` classes.

    Args:
        name: the detector.
        num_classes: the data's object classes (the background class is added where the model has one).
        pretrained: load torchvision's COCO weights (all but the class head).
        pretrained_file: load a local state dict instead (machines without network).
        min_size, max_size: the detector's own resize (torchvision's defaults when None).
        image_mean, image_std: its normalisation of [0, 1] images (its defaults when None).
        trainable_backbone_layers: backbone stages trained (torchvision's default when None).
        pretrained_backbone: ImageNet weights for the backbone only (downloaded).
        **kwargs: more arguments of the detector class (``score_thresh``, ``detections_per_img``...).
    """
    if name not in DETECTORS:
        raise ConfigError(f"model.net.name={name!r} is not a torchvision detector here; choose one of: "
                          f"{', '.join(DETECTORS)}")
    if pretrained and pretrained_file:
        raise ConfigError("set model.net.pretrained=true (download) or model.net.pretrained_file=PATH, not both")
    entry = DETECTORS[name]
    options = {k: v for k, v in {"min_size": min_size, "max_size": max_size, "image_mean": image_mean,
                                 "image_std": image_std}.items() if v is not None}
    if name == "ssdlite320":
        # A fixed 320x320 input (torchvision's SSD builds its transform with fixed_size): no resize option.
        for key in ("min_size", "max_size"):
            if options.pop(key, 320) != 320:
                raise ConfigError(f"model.net.{key}: ssdlite320 takes 320x320 images only; leave it null")
    if trainable_backbone_layers is not None:
        options["trainable_backbone_layers"] = trainable_backbone_layers
    model_classes = num_classes + 1 if entry.background_class else num_classes
    backbone_weights = "DEFAULT" if pretrained_backbone else None
    net = entry.builder(weights=None, weights_backbone=backbone_weights, num_classes=model_classes,
                        **options, **kwargs)
    if pretrained:
        load_matching(net, entry.weights.get_state_dict(progress=True), f"torchvision's {entry.weights}")
    elif pretrained_file:
        load_matching(net, read_state_dict(pretrained_file), str(pretrained_file))
    return net
