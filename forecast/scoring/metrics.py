"""Point-forecast accuracy measures: pure numpy on arrays of equal length."""

from __future__ import annotations

import numpy as np

__all__ = ["mase_scale", "evaluate_rows", "METRICS"]

METRICS = ("mae", "rmse", "mape", "smape", "mase")


def mase_scale(insample: np.ndarray, season: int) -> float:
    """In-sample MAE of the seasonal naive (naive if too short); NaN if undefined or 0. Pairs
    with a missing value (``--fill mask``) are left out."""
    m = season if season > 1 and len(insample) > season else 1
    if len(insample) <= m:
        return float("nan")
    diffs = np.abs(insample[m:] - insample[:-m])
    if np.isnan(diffs).any():
        diffs = diffs[np.isfinite(diffs)]
        if not diffs.size:
            return float("nan")
    scale = float(np.mean(diffs))
    return scale if scale != 0.0 else float("nan")


def evaluate_rows(y: np.ndarray, f: np.ndarray, scales: np.ndarray) -> dict[str, np.ndarray]:
    """Every metric in ``METRICS`` for each row of ``y`` and ``f`` (n_series, horizon), vectorised;
    ``scales`` are the rows' ``mase_scale``. MAPE is over the points where y != 0 (NaN if none);
    sMAPE is the M3 competition's mean of 200|y-f|/(|y|+|f|), 0/0 counted as 0; MASE is MAE over
    the scale, NaN where the scale is. Missing actuals (NaN, ``--fill mask``) are left out; a row
    without a forecast (NaN: a candidate that cannot forecast that series) scores NaN."""
    y, f = np.asarray(y, dtype=np.float64), np.asarray(f, dtype=np.float64)
    absent = ~np.isfinite(f).all(axis=1) if f.ndim == 2 else np.zeros(0, dtype=bool)
    if absent.any():
        found = evaluate_rows(y, np.where(np.isfinite(f), f, 0.0), scales)
        return {k: np.where(absent, np.nan, v) for k, v in found.items()}
    if np.isnan(y).any():
        return _evaluate_observed(y, f, scales)
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


def _evaluate_observed(y: np.ndarray, f: np.ndarray, scales: np.ndarray) -> dict[str, np.ndarray]:
    """``evaluate_rows`` over the finite actuals of each row only (NaN for a row with none)."""
    ok = np.isfinite(y)
    count = ok.sum(axis=1)
    y0 = np.where(ok, y, 0.0)
    err = np.where(ok, np.abs(y0 - f), 0.0)
    keep = ok & (y0 != 0)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        mae_ = np.where(count > 0, err.sum(axis=1) / count, np.nan)
        rmse_ = np.sqrt(np.where(count > 0, (err**2).sum(axis=1) / count, np.nan))
        pct = np.where(keep, err / np.where(keep, np.abs(y0), 1.0), 0.0)
        mape_ = np.where(keep.any(axis=1), 100.0 * pct.sum(axis=1) / keep.sum(axis=1), np.nan)
        denom = np.where(ok, np.abs(y0) + np.abs(f), 0.0)
        ratio = np.divide(err, denom, out=np.zeros_like(denom), where=denom > 0)
        smape_ = np.where(count > 0, 200.0 * ratio.sum(axis=1) / count, np.nan)
        mase_ = np.where(np.isfinite(scales), mae_ / scales, np.nan)
    return {"mae": mae_, "rmse": rmse_, "mape": mape_, "smape": smape_, "mase": mase_}
