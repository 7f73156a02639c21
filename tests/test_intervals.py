"""Conformal interval offsets: exact ranks, pooling, widening past the calibrated horizon."""

from __future__ import annotations

import numpy as np

from forecast.scoring import intervals


def test_conformal_rank_exact() -> None:
    errors = np.tile(np.arange(1.0, 101.0)[:, None], (1, 2)) * np.where(np.arange(100) % 2, 1, -1)[:, None]
    out = intervals.bounds(errors.astype(np.float32), np.zeros(100, dtype=np.int64), [0], [80, 95], 2)
    # ceil(101 * 0.8) = 81st smallest |error| = 81; ceil(101 * 0.95) = 96
    np.testing.assert_allclose(out[0, :, 0], [-81, 81, -96, 96])
    assert intervals.level_columns([80, 95]) == ["lo-80", "hi-80", "lo-95", "hi-95"]


def test_own_errors_when_enough_else_pooled() -> None:
    rng = np.random.default_rng(0)
    wide = rng.normal(0, 10, (intervals.MIN_OWN, 3))
    narrow = rng.normal(0, 1, (5, 3))
    errors = np.vstack([wide, narrow]).astype(np.float32)
    series = np.r_[np.zeros(intervals.MIN_OWN, dtype=np.int64), np.ones(5, dtype=np.int64)]
    out = intervals.bounds(errors, series, [0, 1], [80], 3)
    own0 = np.sort(np.abs(wide[:, 0]))[int(np.ceil((intervals.MIN_OWN + 1) * 0.8)) - 1]
    assert out[0, 1, 0] == np.float32(own0)
    pooled = np.sort(np.abs(errors[:, 0]))[int(np.ceil(36 * 0.8)) - 1]
    assert out[1, 1, 0] == np.float32(pooled)  # series 1 has too few errors of its own


def test_longer_horizon_widens_and_missing_steps_ignored() -> None:
    errors = np.array([[0.1, np.nan], [0.2, 0.4], [0.3, 0.5], [0.35, 0.6]], dtype=np.float32)
    out = intervals.bounds(errors, np.zeros(4, dtype=np.int64), [0], [50], 4)
    hi = out[0, 1]
    assert hi[1] == np.float32(0.5) and hi[2] > hi[1] and hi[3] > hi[2]  # step 2: 3 errors, 2nd
    np.testing.assert_allclose(hi[2:], 0.5 * np.sqrt(np.array([3, 4]) / 2), rtol=1e-6)
    assert (out[0, 0] == -out[0, 1]).all()


def test_too_few_errors_leave_the_level_empty() -> None:
    errors = np.arange(1.0, 11.0, dtype=np.float32)[:, None]  # 10 errors: 80% fits, 95% needs 19
    out = intervals.bounds(errors, np.zeros(10, dtype=np.int64), [0], [80, 95], 1)
    assert out[0, 1, 0] == 9 and np.isnan(out[0, 2:, 0]).all()


def test_no_errors_gives_empty_intervals_not_zero_width() -> None:
    """Without out-of-sample errors nothing can be promised: NaN (empty cells), never lo = hi."""
    out = intervals.bounds(np.empty((0, 3), dtype=np.float32), np.empty(0, dtype=np.int64), [0], [80], 3)
    assert out.shape == (1, 2, 3) and np.isnan(out).all()
    only_first = np.array([[0.1, np.nan, np.nan]] * 40)  # steps 2 and 3 never observed
    out = intervals.bounds(only_first, np.zeros(40, dtype=np.int64), [0], [80], 3)
    assert np.isfinite(out[0, :, 0]).all() and np.isnan(out[0, :, 1:]).all()


def test_series_pool_only_with_their_own_scale_group() -> None:
    """Log-space (relative) and plain-scale (additive) errors are never pooled together."""
    rng = np.random.default_rng(0)
    small = rng.normal(0, 0.01, (50, 2))  # series 0..4: log space
    large = rng.normal(0, 5.0, (50, 2))  # series 5: plain scale
    errors = np.vstack([small, large]).astype(np.float32)
    series = np.r_[np.repeat(np.arange(5), 10), np.full(50, 5)].astype(np.int64)
    series[-25:] = 6  # two plain-scale series with 25 errors each: below MIN_OWN, they pool
    groups = np.array([1, 1, 1, 1, 1, 0, 0])
    out = intervals.bounds(errors, series, [0, 5], [80], 2, groups)
    assert np.all(np.abs(out[0]) < 0.05)  # not widened by the plain-scale errors
    assert np.all(np.abs(out[1]) > 1.0)  # not narrowed by the log-space ones
    mixed = intervals.bounds(errors, series, [0], [80], 2)  # one group: today's pooling
    assert np.all(np.abs(mixed[0]) > 0.05)
