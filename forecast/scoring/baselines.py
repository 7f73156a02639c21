"""Benchmark forecasts every model must beat, and their intervals: pure numpy."""

from __future__ import annotations

import numpy as np

from forecast.scoring.intervals import conformal_offsets

__all__ = ["naive", "seasonal_naive", "drift", "forecast", "bounds", "METHODS", "MAX_ORIGINS"]

METHODS = ("naive", "seasonal_naive", "drift")
MAX_ORIGINS = 200  # the most recent forecast origins whose errors calibrate a baseline's intervals


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


def forecast(method: str, y: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """``method`` (one of ``METHODS``) forecast of ``horizon`` steps after ``y``; from the last
    observed values where ``y`` ends in, or holds, missing ones (``--fill mask``)."""
    y = np.asarray(y, dtype=np.float64)
    if np.isnan(y).any():
        return _from_observed(method, y, horizon, season)
    if method == "naive":
        return naive(y, horizon)
    if method == "seasonal_naive":
        return seasonal_naive(y, horizon, season)
    if method == "drift":
        return drift(y, horizon)
    raise ValueError(f"unknown baseline {method!r}")


def _from_observed(method: str, y: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """``forecast`` over a history with gaps: naive repeats the last observed value, seasonal
    naive each slot's last observed value (the last value for a slot never observed), drift
    the line through the first and last observed values, continued from the last date."""
    seen = np.flatnonzero(np.isfinite(y))
    last = float(y[seen[-1]])
    if method == "seasonal_naive" and season >= 2 and len(y) >= season:
        slots = np.full(season, last)
        for k in range(season):  # slot k: the last value at or before len(y) - season + k
            at = seen[(seen % season) == (len(y) - season + k) % season]
            if len(at):
                slots[k] = y[at[-1]]
        return np.resize(slots, horizon)
    if method == "drift" and len(seen) > 1:
        slope = (last - y[seen[0]]) / (seen[-1] - seen[0])
        return last + slope * (len(y) - 1 - seen[-1] + np.arange(1, horizon + 1))
    return np.full(horizon, last)


def _origin_forecasts(
    method: str, y: np.ndarray, origins: np.ndarray, horizon: int, season: int
) -> np.ndarray:
    """(len(origins), horizon): ``method`` forecast from each origin t (history ``y[:t]``)."""
    steps = np.arange(horizon)
    last = y[origins - 1][:, None]
    if method == "seasonal_naive" and season > 1:
        return y[origins[:, None] - season + steps % season]
    if method == "drift":
        slope = (y[origins - 1] - y[0]) / np.maximum(origins - 1, 1)
        return last + slope[:, None] * (steps + 1)
    return np.repeat(last, horizon, axis=1)


def bounds(
    method: str, y: np.ndarray, horizon: int, season: int, levels: tuple[int, ...], point: np.ndarray
) -> np.ndarray:
    """Split-conformal intervals (2 * len(levels), horizon) around ``point`` from the method's own
    errors at up to ``MAX_ORIGINS`` past origins of ``y``: a baseline fits nothing, so every past
    origin is out of sample. NaN where too few errors support a level."""
    y = np.asarray(y, dtype=np.float64)
    first = season if method == "seasonal_naive" and season > 1 else 2 if method == "drift" else 1
    origins = np.arange(max(first, len(y) - MAX_ORIGINS - horizon + 1), len(y))
    errors = np.full((len(origins), horizon), np.nan)
    if len(origins):
        fc = _origin_forecasts(method, y, origins, horizon, season)
        index = origins[:, None] + np.arange(horizon)
        inside = index < len(y)
        errors[inside] = y[index[inside]] - fc[inside]
    return point[None, :] + conformal_offsets(errors, levels)
