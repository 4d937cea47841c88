"""Callbacks that show in TensorBoard (and the terminal) what a run is doing."""

from nnframe.core.callbacks.backbone_freeze_callback import BackboneFreezeCallback
from nnframe.core.callbacks.confusion_matrix_callback import ConfusionMatrixCallback
from nnframe.core.callbacks.ema_callback import EMACallback
from nnframe.core.callbacks.epoch_timing_callback import EpochTimingCallback
from nnframe.core.callbacks.finite_loss_callback import FiniteLossCallback
from nnframe.core.callbacks.prediction_grid_callback import PredictionGridCallback
from nnframe.core.callbacks.prediction_writer import PredictionWriter
from nnframe.core.callbacks.preemption_checkpoint_callback import PreemptionCheckpointCallback
from nnframe.core.callbacks.rich_progress_bar import RichProgressBar
from nnframe.core.callbacks.rng_state_callback import RNGStateCallback
from nnframe.core.callbacks.run_checkpoint import RunCheckpoint
from nnframe.core.callbacks.run_info_callback import RunInfoCallback
from nnframe.core.callbacks.throughput_monitor import ThroughputMonitor
from nnframe.core.callbacks.training_samples_callback import TrainingSamplesCallback

__all__ = [
    "BackboneFreezeCallback",
    "ConfusionMatrixCallback",
    "EMACallback",
    "EpochTimingCallback",
    "FiniteLossCallback",
    "PredictionGridCallback",
    "PredictionWriter",
    "PreemptionCheckpointCallback",
    "RNGStateCallback",
    "RichProgressBar",
    "RunCheckpoint",
    "RunInfoCallback",
    "ThroughputMonitor",
    "TrainingSamplesCallback",
]
