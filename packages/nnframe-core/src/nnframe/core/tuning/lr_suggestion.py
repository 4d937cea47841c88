"""The learning rate to suggest from an LR range test (Smith, "Cyclical Learning Rates", 2017).

Lightning's own rule (``_LRFinder.suggestion``) takes the steepest slope of its smoothed loss
with respect to the learning rate itself, on a curve whose learning rates grow exponentially:
the tiny steps between the first learning rates turn noise into the steepest "slopes", and
suggestions land on the flat start of the curve. Its smoothing (an exponential average with
beta 0.98) also lags ~50 steps behind the loss, and is debiased one step off (the first point
is half the loss), so even a correct rule on that curve would point too far right.

Here: the per-step losses are recovered from Lightning's average (the average is invertible),
smoothed without lag (forward-backward exponential average), and the steepest descent is taken
with respect to ``log10(lr)``, looking only at the part of the curve before its minimum and after
a noisy start. The suggestion is that learning rate divided by ``margin`` (10): by the time the
range test reaches its steepest descent its model has trained for a hundred steps or more at
rising learning rates, which a fresh run has not. Measured on the default ``nnframe cls`` config
(AdamW, warm-up + cosine, 6 epochs), the range test (1e-5 to 1 in 200 steps) has its steepest
descent at 0.042: training at 0.042 reached 0.28 validation accuracy, at 0.018 (minimum / 10)
0.60, at 0.0019 (fastai's "valley") 0.90, at 0.0042 (steepest / 10) 0.97, at the default 0.003 0.96.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LIGHTNING_BETA = 0.98  # lightning.pytorch.tuner.lr_finder._LRCallback's smoothing


@dataclass(frozen=True)
class LRSuggestion:
    """A suggested learning rate, or why there is none.

    Args:
        lr: the suggestion (None: no descent to choose from).
        index: the point of steepest descent on the curve.
        smoothed: the smoothed losses the rule used, one per point (NaN where not finite).
        reason: why there is no suggestion (empty when there is one).
    """

    lr: float | None
    index: int | None
    smoothed: np.ndarray
    reason: str = ""


def losses_from_lightning(smoothed: list[float] | np.ndarray, beta: float = LIGHTNING_BETA,
                          first_step: int = 1) -> np.ndarray:
    """The per-step losses behind Lightning's smoothed LR-finder losses.

    Lightning stores ``avg_i / (1 - beta ** (step_i + 1))`` with
    ``avg_i = beta * avg_{i-1} + (1 - beta) * loss_i`` and ``step_i = first_step + i`` (the
    global step after the i-th step), so each loss follows from two consecutive values.

    Returns:
        Shape: (N,).
    """
    values = np.asarray(smoothed, dtype=np.float64)
    steps = first_step + np.arange(len(values))
    averages = values * (1 - beta ** (steps + 1))
    previous = np.concatenate([[0.0], averages[:-1]])
    return (averages - beta * previous) / (1 - beta)


def smooth_without_lag(values: np.ndarray, window: float) -> np.ndarray:
    """A forward then backward exponential average (no lag, unlike a one-way average).

    Args:
        values: Shape: (N,), finite.
        window: the averages' span in points.
    """
    alpha = 2.0 / (max(window, 1.0) + 1.0)

    def one_way(x: np.ndarray) -> np.ndarray:
        out = np.empty_like(x)
        out[0] = x[0]
        for i in range(1, len(x)):
            out[i] = alpha * x[i] + (1 - alpha) * out[i - 1]
        return out

    return one_way(one_way(values)[::-1])[::-1]


def suggest_learning_rate(lrs: list[float] | np.ndarray, losses: list[float] | np.ndarray,
                          skip_start: float = 0.1, margin: float = 10.0) -> LRSuggestion:
    """The steepest descent of the smoothed loss w.r.t. ``log10(lr)``, before the loss minimum,
    divided by ``margin`` (see the module docstring).

    Args:
        lrs: learning rates of the range test, increasing; Shape: (N,).
        losses: per-step losses (see :func:`losses_from_lightning`); Shape: (N,).
        skip_start: share of the first points left out (the loss is noisy before it falls).
        margin: the suggestion is the steepest descent's learning rate divided by this.
    """
    lrs, losses = np.asarray(lrs, dtype=np.float64), np.asarray(losses, dtype=np.float64)
    finite = np.isfinite(losses) & np.isfinite(lrs) & (lrs > 0)
    smoothed = np.full(len(losses), np.nan)
    index = np.flatnonzero(finite)
    if len(index) < 5:
        return LRSuggestion(None, None, smoothed, f"only {len(index)} finite points in the LR range test")
    smoothed[index] = smooth_without_lag(losses[index], window=max(5.0, len(index) / 12))
    curve, x = smoothed[index], np.log10(lrs[index])
    start = max(1, int(round(skip_start * len(index))))
    lowest = start + int(np.argmin(curve[start:]))
    # A fall smaller than the loss's step-to-step noise is no descent (e.g. a model that learns
    # nothing in the test's steps): no suggestion rather than one read from noise.
    noise = float(np.std(losses[index] - curve))
    if lowest - start < 2 or curve[start] - curve[lowest] <= noise:
        return LRSuggestion(None, None, smoothed, "the loss did not go down during the LR range test "
                            f"(by more than its noise, {noise:.3g})")
    slopes = np.gradient(curve, x)[start:lowest + 1]
    steepest = start + int(np.argmin(slopes))
    if slopes[steepest - start] >= 0:
        return LRSuggestion(None, None, smoothed, "the loss did not go down during the LR range test")
    return LRSuggestion(float(lrs[index[steepest]]) / margin, int(index[steepest]), smoothed)
