"""Point-forecast accuracy measures: pure numpy on arrays of equal length."""

from __future__ import annotations

import numpy as np

__all__ = ["mae", "rmse", "mape", "smape", "mase", "evaluate", "METRICS"]

METRICS = ("mae", "rmse", "mape", "smape", "mase")


def mae(y: np.ndarray, f: np.ndarray) -> float:
    """Mean absolute error."""
    return float(np.mean(np.abs(y - f)))


def rmse(y: np.ndarray, f: np.ndarray) -> float:
    """Root mean squared error."""
    return float(np.sqrt(np.mean((y - f) ** 2)))


def mape(y: np.ndarray, f: np.ndarray) -> float:
    """Mean absolute percentage error (percent) over the points where y != 0; NaN if none."""
    keep = y != 0
    if not keep.any():
        return float("nan")
    with np.errstate(over="ignore"):
        return float(100.0 * np.mean(np.abs((y[keep] - f[keep]) / y[keep])))


def smape(y: np.ndarray, f: np.ndarray) -> float:
    """Symmetric MAPE as in the M3 competition: mean of 200|y-f|/(|y|+|f|), 0/0 counted as 0."""
    denom = np.abs(y) + np.abs(f)
    ratio = np.divide(np.abs(y - f), denom, out=np.zeros_like(denom, dtype=np.float64), where=denom > 0)
    return float(200.0 * np.mean(ratio))


def mase(y: np.ndarray, f: np.ndarray, insample: np.ndarray, season: int) -> float:
    """MAE scaled by the in-sample MAE of the seasonal naive (naive if too short). NaN if 0."""
    m = season if season > 1 and len(insample) > season else 1
    if len(insample) <= m:
        return float("nan")
    scale = float(np.mean(np.abs(insample[m:] - insample[:-m])))
    if scale == 0.0:
        return float("nan")
    return mae(y, f) / scale


def evaluate(y: np.ndarray, f: np.ndarray, insample: np.ndarray, season: int) -> dict[str, float]:
    """Every metric in ``METRICS`` for one forecast."""
    y = np.asarray(y, dtype=np.float64)
    f = np.asarray(f, dtype=np.float64)
    return {
        "mae": mae(y, f),
        "rmse": rmse(y, f),
        "mape": mape(y, f),
        "smape": smape(y, f),
        "mase": mase(y, f, np.asarray(insample, dtype=np.float64), season),
    }
