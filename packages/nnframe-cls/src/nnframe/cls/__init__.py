"""nnframe classification: image classifiers on timm backbones, trained with Lightning + Hydra.

Public names are imported lazily so that ``nnframe --help`` does not import torch.
"""

from __future__ import annotations

from nnframe.core.lazy_exports import lazy_exports

_EXPORTS = {
    "ClassificationModule": "nnframe.cls.classification_module",
    "ClassificationPredictionWriter": "nnframe.cls.prediction_writer",
    "ImageClassifier": "nnframe.cls.models.image_classifier",
}

__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
