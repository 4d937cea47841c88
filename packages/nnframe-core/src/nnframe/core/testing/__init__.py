"""Helpers for tests of nnframe and of task packages: compose a run config, toy data and model,
tiny copies of real datasets."""

from nnframe.core.testing.batch_hashes import BatchHashRecorder, batch_hash, read_batch_hashes
from nnframe.core.testing.cli_run import run_cli
from nnframe.core.testing.compose import compose_task_config
from nnframe.core.testing.datasets import write_imagenette, write_shapes_folder
from nnframe.core.testing.event_files import event_summaries, followed_tensorboard_hint
from nnframe.core.testing.faults import (
    CrashCallback,
    HangCallback,
    PoisonWeightsCallback,
    SignalCallback,
    cut_network,
)
from nnframe.core.testing.image_files import (
    write_cifar10,
    write_damaged_png,
    write_image,
    write_image_folder,
    write_messy_files,
    write_mnist,
    write_rotated_jpeg,
    write_truncated_jpeg,
)
from nnframe.core.testing.rank_loss import RankLossRecorder
from nnframe.core.testing.rank_weights import RankWeightsRecorder, weights_digest
from nnframe.core.testing.terminal_screen import render_screen, run_in_terminal
from nnframe.core.testing.toy import ToyClassifier, ToyDataModule

__all__ = [
    "BatchHashRecorder",
    "batch_hash",
    "read_batch_hashes",
    "event_summaries",
    "followed_tensorboard_hint",
    "run_cli",
    "render_screen",
    "run_in_terminal",
    "CrashCallback",
    "HangCallback",
    "PoisonWeightsCallback",
    "RankLossRecorder",
    "RankWeightsRecorder",
    "SignalCallback",
    "ToyClassifier",
    "ToyDataModule",
    "compose_task_config",
    "cut_network",
    "write_cifar10",
    "write_damaged_png",
    "write_image",
    "write_image_folder",
    "write_imagenette",
    "write_messy_files",
    "write_mnist",
    "write_rotated_jpeg",
    "write_truncated_jpeg",
    "write_shapes_folder",
    "weights_digest",
]
