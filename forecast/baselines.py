"""Benchmark forecasts every model must beat: pure numpy."""

from __future__ import annotations

import numpy as np

__all__ = ["naive", "seasonal_naive", "drift"]


def naive(y: np.ndarray, horizon: int) -> np.ndarray:
    """The last value, repeated."""
    return np.full(horizon, float(y[-1]))


def seasonal_naive(y: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """The last full season, repeated; plain naive when the series is shorter than a season."""
    if season < 2 or len(y) < season:
        return naive(y, horizon)
    last = np.asarray(y[-season:], dtype=np.float64)
    return np.resize(last, horizon)


def drift(y: np.ndarray, horizon: int) -> np.ndarray:
    """The line through the first and last values, extended (naive when only one value)."""
    y = np.asarray(y, dtype=np.float64)
    slope = (y[-1] - y[0]) / (len(y) - 1) if len(y) > 1 else 0.0
    return y[-1] + slope * np.arange(1, horizon + 1)
