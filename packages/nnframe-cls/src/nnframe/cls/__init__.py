"""nnframe classification: image classifiers on timm backbones, trained with Lightning + Hydra.

Public names are imported lazily so that ``nnframe --help`` does not import torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ClassificationModule": "nnframe.cls.classification_module",
    "ClassificationPredictionWriter": "nnframe.cls.prediction_writer",
    "ImageClassifier": "nnframe.cls.models.image_classifier",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'nnframe.cls' has no attribute {name!r}")
