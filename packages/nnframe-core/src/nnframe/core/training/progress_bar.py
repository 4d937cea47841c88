"""The progress bar of actions that run no training (eval, predict): the ``callbacks`` group's
``progress_bar`` entry alone, so a long evaluation shows its progress as training does."""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig

from nnframe.core.training.instantiate import instantiate_group


def progress_bar_callbacks(cfg: DictConfig) -> list[Any]:
    """``[the configured progress bar]``, or ``[]`` with ``callbacks.progress_bar=null``.

    The other default callbacks (checkpoints, early stopping, figures of training) have no work
    outside ``fit``; the progress bar's config is the one training uses.
    """
    node = (cfg.get("callbacks") or {}).get("progress_bar")
    return instantiate_group(DictConfig({"progress_bar": node}), "callback") if node is not None else []
