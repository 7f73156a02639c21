"""Point-forecast accuracy measures: pure numpy on arrays of equal length."""

from __future__ import annotations

import numpy as np

__all__ = ["mae", "rmse", "mape", "smape", "mase", "mase_scale", "evaluate", "evaluate_rows", "METRICS"]

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


def mase_scale(insample: np.ndarray, season: int) -> float:
    """In-sample MAE of the seasonal naive (naive if too short); NaN if undefined or 0."""
    m = season if season > 1 and len(insample) > season else 1
    if len(insample) <= m:
        return float("nan")
    scale = float(np.mean(np.abs(insample[m:] - insample[:-m])))
    return scale if scale != 0.0 else float("nan")


def mase(y: np.ndarray, f: np.ndarray, insample: np.ndarray, season: int) -> float:
    """MAE scaled by the in-sample MAE of the seasonal naive (naive if too short). NaN if 0."""
    scale = mase_scale(insample, season)
    return mae(y, f) / scale if np.isfinite(scale) else float("nan")


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


def evaluate_rows(y: np.ndarray, f: np.ndarray, scales: np.ndarray) -> dict[str, np.ndarray]:
    """Every metric for each row of ``y`` and ``f`` (n_series, horizon), vectorised;
    ``scales`` are the rows' ``mase_scale``. Equals ``evaluate`` row by row."""
    y, f = np.asarray(y, dtype=np.float64), np.asarray(f, dtype=np.float64)
    err = np.abs(y - f)
    mae_ = err.mean(axis=1)
    keep = y != 0
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        pct = np.where(keep, err / np.where(keep, np.abs(y), 1.0), 0.0)
        mape_ = np.where(keep.any(axis=1), 100.0 * pct.sum(axis=1) / keep.sum(axis=1), np.nan)
        denom = np.abs(y) + np.abs(f)
        ratio = np.divide(err, denom, out=np.zeros_like(denom), where=denom > 0)
        mase_ = np.where(np.isfinite(scales), mae_ / scales, np.nan)
    return {
        "mae": mae_,
        "rmse": np.sqrt(((y - f) ** 2).mean(axis=1)),
        "mape": mape_,
        "smape": 200.0 * ratio.mean(axis=1),
        "mase": mase_,
    }
