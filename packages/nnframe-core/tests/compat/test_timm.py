"""Loud test of nnframe.core.compat.timm: timm still reports the keys it could not place as log
records of the loggers nnframe listens to, in the wording it parses."""

from __future__ import annotations

import logging
from pathlib import Path

import timm
import torch

from nnframe.core.compat.timm import PRETRAINED_LOAD_LOGGERS, capture_pretrained_load


def test_a_pretrained_load_reports_missing_and_unexpected_keys(tmp_path: Path, caplog) -> None:
    weights = timm.create_model("resnet18", num_classes=0).state_dict()
    weights.pop("conv1.weight")
    weights["extra.weight"] = torch.zeros(1)
    path = tmp_path / "weights.pth"
    torch.save(weights, path)
    with caplog.at_level(logging.INFO), capture_pretrained_load() as records:
        timm.create_model("resnet18", pretrained=True, num_classes=0, pretrained_cfg_overlay={"file": str(path)},
                          pretrained_strict=False)
    assert records.missing == ["conv1.weight"], (records.missing, records.other)
    assert records.unexpected == ["extra.weight"]
    assert not [r for r in caplog.records if r.name in PRETRAINED_LOAD_LOGGERS]  # kept off the console
