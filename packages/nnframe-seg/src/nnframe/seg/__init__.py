"""nnframe semantic segmentation: segmentation-models-pytorch networks trained with Lightning + Hydra.

Public names are imported lazily so that ``nnframe --help`` does not import torch.
"""

from __future__ import annotations

from nnframe.core.lazy_exports import lazy_exports

_EXPORTS = {
    "ClassAveragedScore": "nnframe.seg.metrics",
    "CombinedLoss": "nnframe.seg.combined_loss",
    "MulticlassDiceLoss": "nnframe.seg.dice_loss",
    "SegmentationModule": "nnframe.seg.segmentation_module",
    "SegmentationPredictionWriter": "nnframe.seg.prediction_writer",
    "StridedUnet": "nnframe.seg.models.strided_unet",
    "create_segmentation_model": "nnframe.seg.models.smp_model",
    "mask_to_rgb": "nnframe.seg.mask_drawing",
    "overlay_mask": "nnframe.seg.mask_drawing",
    "masks_overlay_figure": "nnframe.seg.figures",
    "segmentation_figure": "nnframe.seg.figures",
    "segmentation_eval_transform": "nnframe.seg.transforms",
    "segmentation_metrics": "nnframe.seg.metrics",
    "segmentation_train_transform": "nnframe.seg.transforms",
}

__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
