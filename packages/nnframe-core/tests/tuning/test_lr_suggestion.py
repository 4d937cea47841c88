"""The LR range test's suggestion: Lightning's smoothed losses inverted exactly, the steepest
descent w.r.t. log(lr) before the minimum, and no suggestion from a curve that never falls."""

from __future__ import annotations

import numpy as np

from nnframe.core.tuning.lr_suggestion import LIGHTNING_BETA, losses_from_lightning, suggest_learning_rate


def _lightning_smoothing(losses: np.ndarray, first_step: int = 1) -> list[float]:
    """What lightning.pytorch.tuner.lr_finder._LRCallback stores for these per-step losses."""
    average, out = 0.0, []
    for i, loss in enumerate(losses):
        average = LIGHTNING_BETA * average + (1 - LIGHTNING_BETA) * loss
        out.append(average / (1 - LIGHTNING_BETA ** (first_step + i + 1)))
    return out


def _range_test(n: int = 200, drop_at: float = -1.5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A loss that stays flat, falls around lr=10**drop_at, then diverges; with noise."""
    lrs = np.logspace(-5, 0, n)
    x = np.log10(lrs)
    loss = 1.6 - 0.6 / (1 + np.exp(-(x - drop_at) * 4)) + np.where(x > -0.5, (x + 0.5) * 6, 0)
    return lrs, loss + np.random.default_rng(seed).normal(0, 0.03, n)


def test_lightning_smoothing_is_inverted_exactly() -> None:
    _, losses = _range_test()
    np.testing.assert_allclose(losses_from_lightning(_lightning_smoothing(losses)), losses, rtol=1e-9, atol=1e-9)


def test_suggestion_is_a_decade_below_the_steepest_descent_before_the_minimum() -> None:
    lrs, losses = _range_test(drop_at=-1.5)
    suggestion = suggest_learning_rate(lrs, losses)
    steepest = lrs[suggestion.index]
    assert 10 ** -1.8 < steepest < 10 ** -1.2  # the sigmoid's steepest point, not the noisy start
    assert suggestion.lr == steepest / 10
    assert suggestion.index < int(np.nanargmin(suggestion.smoothed))


def test_moving_the_drop_moves_the_suggestion() -> None:
    early = suggest_learning_rate(*_range_test(drop_at=-3.0)).lr
    late = suggest_learning_rate(*_range_test(drop_at=-1.0)).lr
    assert early is not None and late is not None and 50 < late / early < 200


def test_no_suggestion_when_the_loss_never_falls() -> None:
    lrs = np.logspace(-5, 0, 100)
    rising = 1.6 + np.linspace(0, 1, 100) + np.random.default_rng(1).normal(0, 0.01, 100)
    suggestion = suggest_learning_rate(lrs, rising)
    assert suggestion.lr is None and "did not go down" in suggestion.reason


def test_non_finite_points_are_ignored() -> None:
    lrs, losses = _range_test()
    losses[[5, 50, 120]] = np.nan
    suggestion = suggest_learning_rate(lrs, losses)
    assert suggestion.lr is not None and np.isnan(suggestion.smoothed[50])
