"""How a core feature that cannot apply to a task says so: one line, once per process."""

from __future__ import annotations

from lightning.pytorch.utilities import rank_zero_info

_said: set[tuple[str, str]] = set()


def not_applicable(feature: str, reason: str) -> None:
    """Print ``<feature>: not applicable to this task (<reason>)`` once per process (rank zero).

    A core callback or action that cannot work with a task's batches or outputs (a prediction
    grid for a task without ``prediction_figure``, an export of a model that takes a list of
    images) calls this and does nothing else, instead of failing or logging something wrong.

    Args:
        feature: what does not apply, as the user knows it (``val/predictions figure``, ``export``).
        reason: why, in a few words (``DetectionModule has no prediction_figure``).
    """
    key = (feature, reason)
    if key in _said:
        return
    _said.add(key)
    rank_zero_info(f"{feature}: not applicable to this task ({reason})")
