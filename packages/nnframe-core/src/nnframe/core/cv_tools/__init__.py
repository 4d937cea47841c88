"""Image helpers shared by the tasks: normalisation, transform presets, drawing."""

from nnframe.core.cv_tools.batch_mixing import MixUpCutMix, batch_mixing
from nnframe.core.cv_tools.normalization import (
    NORMALIZATION_STATS,
    denormalize,
    resolve_normalization,
    stats_for_channels,
)
from nnframe.core.cv_tools.panel_canvas import PanelCanvas
from nnframe.core.cv_tools.sample_grid import training_samples_figure
from nnframe.core.cv_tools.transforms import (
    auto_augment_transform,
    classification_eval_transform,
    classification_train_transform,
    segmentation_eval_transform,
    segmentation_train_transform,
)
from nnframe.core.cv_tools.visualization import (
    class_palette,
    confusion_matrix_figure,
    grid_shape,
    labelled_image_grid,
    mask_to_rgb,
    overlay_mask,
)

__all__ = [
    "NORMALIZATION_STATS",
    "MixUpCutMix",
    "PanelCanvas",
    "batch_mixing",
    "auto_augment_transform",
    "class_palette",
    "classification_eval_transform",
    "classification_train_transform",
    "confusion_matrix_figure",
    "denormalize",
    "grid_shape",
    "labelled_image_grid",
    "mask_to_rgb",
    "overlay_mask",
    "resolve_normalization",
    "segmentation_eval_transform",
    "segmentation_train_transform",
    "stats_for_channels",
    "training_samples_figure",
]
