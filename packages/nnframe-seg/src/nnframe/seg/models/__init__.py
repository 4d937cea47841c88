"""Segmentation networks (segmentation-models-pytorch)."""

from nnframe.seg.models.smp_model import SMP_ARCHITECTURES, create_segmentation_model, smp_preprocessing

__all__ = ["SMP_ARCHITECTURES", "create_segmentation_model", "smp_preprocessing"]
