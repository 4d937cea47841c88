"""nnframe self-supervised learning: lightly's methods on nnframe backbones, with kNN monitoring,
a linear probe and backbone export for fine-tuning in ``nnframe cls``.

Public names are imported lazily so that ``nnframe --help`` does not import torch.
"""

from __future__ import annotations

from nnframe.core.lazy_exports import lazy_exports

_EXPORTS = {
    "AugmentedViewsCallback": "nnframe.ssl.callbacks",
    "EmbeddingPredictionWriter": "nnframe.ssl.prediction_writer",
    "EmbeddingProjectorCallback": "nnframe.ssl.callbacks",
    "SSLModule": "nnframe.ssl.ssl_module",
    "TorchvisionSSLDataModule": "nnframe.ssl.torchvision_ssl_datamodule",
    "ViewsTransform": "nnframe.ssl.transforms",
    "byol_transform": "nnframe.ssl.transforms",
    "export_backbone": "nnframe.ssl.export",
}

__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
