"""The run functions behind ``nnframe <task> train|eval|predict``.

``train(cfg)`` etc. do the work on a composed config and return the metrics; the
``*_from_cli`` variants are what the command line calls.
"""

from nnframe.core.training.evaluate import evaluate, evaluate_from_cli
from nnframe.core.training.predict import predict, predict_from_cli
from nnframe.core.training.train import train, train_from_cli

__all__ = ["evaluate", "evaluate_from_cli", "predict", "predict_from_cli", "train", "train_from_cli"]
