"""nnframe self-supervised learning: lightly's methods on nnframe backbones, with kNN monitoring,
a linear probe and backbone export for fine-tuning in ``nnframe cls``.

Public names are imported lazily so that ``nnframe --help`` does not import torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "AugmentedViewsCallback": "nnframe.ssl.callbacks",
    "EmbeddingProjectorCallback": "nnframe.ssl.callbacks",
    "SSLModule": "nnframe.ssl.ssl_module",
    "TorchvisionSSLDataModule": "nnframe.ssl.torchvision_ssl_datamodule",
    "ViewsTransform": "nnframe.ssl.transforms",
    "byol_transform": "nnframe.ssl.transforms",
    "export_backbone": "nnframe.ssl.export",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'nnframe.ssl' has no attribute {name!r}")
