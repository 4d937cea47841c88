"""Callbacks that show in TensorBoard (and the terminal) what a run is doing."""

from nnframe.core.callbacks.confusion_matrix_callback import ConfusionMatrixCallback
from nnframe.core.callbacks.epoch_timing_callback import EpochTimingCallback
from nnframe.core.callbacks.prediction_grid_callback import PredictionGridCallback
from nnframe.core.callbacks.prediction_writer import PredictionWriter

__all__ = ["ConfusionMatrixCallback", "EpochTimingCallback", "PredictionGridCallback", "PredictionWriter"]
