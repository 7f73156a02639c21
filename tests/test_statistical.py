"""The statistical safety net (``scoring.statistical``): one pass over a series equals fitting at
each origin alone, the least-squares fit equals a slow obvious search, and the forecasts follow
what the methods promise. bench/oracle.py compares them with statsforecast on the suite."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.scoring import statistical


def _noisy(n: int = 80, seed: int = 0, season: int = 12) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 100 + 0.5 * t + 10 * np.sin(2 * np.pi * t / season) + rng.normal(0, 2, n)


@pytest.mark.parametrize("method", statistical.METHODS)
def test_one_pass_equals_a_separate_fit_at_each_origin(method):
    y = np.cumsum(np.random.default_rng(1).normal(0.3, 1.0, 70)) + 50
    origins = np.array([10, 25, 40, 69, 70])
    together = statistical.origin_forecasts(method, y, 1, 6, origins)
    for row, t in zip(together, origins):
        np.testing.assert_allclose(row, statistical.forecast(method, y[:t], 1, 6), rtol=1e-9)


def _ses_sse(y: np.ndarray, alpha: float, level0: float) -> tuple[float, float]:
    level, sse = level0, 0.0
    for v in y:
        sse += (v - level) ** 2
        level += alpha * (v - level)
    return sse, level


def test_theta_equals_a_slow_obvious_fit():
    """Theta by a loop: for each alpha of the grid, the initial level by a fine scalar search;
    the best alpha's final level plus half the least-squares slope's drift."""
    from scipy.optimize import minimize_scalar

    y = _noisy(60, seed=3)
    best = None
    for alpha in statistical._SES_ALPHA:
        found = minimize_scalar(lambda l0, a=alpha: _ses_sse(y, a, l0)[0], bracket=(0, 200), tol=1e-12)
        sse, level = _ses_sse(y, alpha, found.x)
        if best is None or sse < best[0]:
            best = (sse, level, alpha)
    _, level, alpha = best
    slope = np.polyfit(np.arange(len(y)), y, 1)[0]
    n, h = len(y), np.arange(8)
    slow = level + 0.5 * slope * (h + (1 - (1 - alpha) ** n) / alpha)
    np.testing.assert_allclose(statistical.forecast("theta", y, 1, 8), slow, rtol=1e-6)


def test_a_constant_series_is_forecast_as_itself():
    y = np.full(40, 7.5)
    for method in statistical.METHODS:
        np.testing.assert_allclose(statistical.forecast(method, y, 12, 5), 7.5, atol=1e-6)


def test_ets_follows_a_clean_trend_and_damps_it():
    y = 10 + 2.0 * np.arange(50)
    fc = statistical.forecast("ets", y, 1, 10)
    assert 108 < fc[0] < 112  # the next value is 110
    steps = np.diff(fc)
    assert np.all(steps > 0) and np.all(np.diff(steps) <= 1e-9)  # rising, ever less (damped)


def test_the_season_is_found_taken_out_and_put_back():
    t = np.arange(96)
    factors = np.array([0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.2, 1.1, 1.0, 0.9, 0.8, 0.7])
    y = 100 * factors[t % 12] * (1 + 0.002 * t)
    found = statistical.adjust(y, 12)
    assert found is not None and found.multiplicative
    np.testing.assert_allclose(found.factors, factors / factors.mean(), rtol=0.02)
    fc = statistical.forecast("theta", y, 12, 12)
    truth = 100 * factors[np.arange(96, 108) % 12] * (1 + 0.002 * np.arange(96, 108))
    assert np.mean(np.abs(fc - truth) / truth) < 0.02
    assert statistical.adjust(np.random.default_rng(0).normal(10, 1, 96), 12) is None  # no season: none


def test_short_histories_fall_back_to_the_last_value():
    y = np.array([3.0, 4.0, 5.0, 6.0, 7.0, 8.0])
    out = statistical.origin_forecasts("ets", y, 1, 3, np.array([1, 2, 3]))
    np.testing.assert_allclose(out, [[3, 3, 3], [4, 4, 4], [5, 5, 5]])


def test_bounds_come_from_past_errors_and_widen_with_the_step():
    y = _noisy(120, seed=5)
    point = statistical.forecast("theta", y, 12, 6)
    b = statistical.bounds("theta", y, 12, 6, (80, 95), point)
    lo80, hi80, lo95, hi95 = b
    assert np.all(lo95 <= lo80) and np.all(lo80 < point) and np.all(point < hi80) and np.all(hi80 <= hi95)
    assert (hi95 - lo95)[-1] >= (hi95 - lo95)[0]


def test_an_unknown_method_is_refused():
    with pytest.raises(ValueError, match="unknown statistical method"):
        statistical.forecast("arima", np.ones(10), 1, 2)


@pytest.mark.parametrize("method", statistical.METHODS)
def test_one_pass_forecast_and_bounds_equal_the_two_calls(method):
    y = _noisy(150, seed=7)
    point, bands = statistical.with_bounds(method, y, 12, 18, (80, 95))
    np.testing.assert_allclose(point, statistical.forecast(method, y, 12, 18))
    np.testing.assert_allclose(bands, statistical.bounds(method, y, 12, 18, (80, 95), point))
