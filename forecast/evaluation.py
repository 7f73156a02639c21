"""Hold-out scoring of many series against naive baselines, and the one-line verdict."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecast import baselines, metrics

if TYPE_CHECKING:
    from forecast import data

__all__ = ["score", "verdict", "coverage", "holdout_frame", "date_text", "date_format", "BASELINES"]

BASELINES = ("naive", "seasonal_naive", "drift")


def score(
    ids: Sequence[str],
    histories: Sequence[np.ndarray],
    actuals: Sequence[np.ndarray],
    forecasts: np.ndarray,
    season: int,
) -> tuple[pd.DataFrame, dict[str, Any], list[dict[str, np.ndarray]]]:
    """Metrics per series and their means, for the model and each baseline.

    Returns (by_series frame, aggregate dict {"model": {...}, "naive": {...}, ...},
    per-series baseline forecasts).
    """
    extra = [
        {
            "naive": baselines.naive(hist, len(actual)),
            "seasonal_naive": baselines.seasonal_naive(hist, len(actual), season),
            "drift": baselines.drift(hist, len(actual)),
        }
        for hist, actual in zip(histories, actuals)
    ]
    # one hold-out length for all series
    y = np.asarray(actuals, dtype=np.float64).reshape(len(extra), -1) if extra else np.empty((0, 0))
    scales = np.array([metrics.mase_scale(np.asarray(h, dtype=np.float64), season) for h in histories])
    columns: dict[str, Any] = {"series": list(ids)}
    for name in ("model", *BASELINES):
        f = np.asarray(forecasts, dtype=np.float64) if name == "model" else np.array([b[name] for b in extra])
        for key, values in metrics.evaluate_rows(y, f.reshape(y.shape), scales).items():
            columns[f"{name}_{key}"] = values
    by_series = pd.DataFrame(columns)
    agg: dict[str, Any] = {}
    for name in ("model", *BASELINES):
        agg[name] = {key: _nanmean(by_series[f"{name}_{key}"]) for key in metrics.METRICS}
    return by_series, agg, extra


def _nanmean(col: pd.Series) -> float:
    values = col.to_numpy(dtype=np.float64)
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else float("nan")


def verdict(name: str, scores: dict[str, Any], n_series: int) -> str:
    """Does the model beat seasonal naive (by MASE, or MAE when MASE is undefined)?"""
    model_mase, base_mase = scores["model"]["mase"], scores["seasonal_naive"]["mase"]
    key = "mase" if np.isfinite(model_mase) and np.isfinite(base_mase) else "mae"
    model, base = scores["model"][key], scores["seasonal_naive"][key]
    label = key.upper() if n_series == 1 else f"mean {key.upper()} over {n_series} series"
    if base == 0:
        return f"warning: seasonal naive is exact on the hold-out ({label} 0); nothing to beat"
    if model < base:
        gain = 100.0 * (1.0 - model / base)
        return f"{name} beats seasonal naive by {gain:.0f}% {label} ({model:.3f} vs {base:.3f})"
    return (
        f"warning: {name} does not beat seasonal naive ({label} {model:.3f} vs {base:.3f}); "
        "the seasonal-naive forecast is the safer choice here"
    )


def coverage(frame: pd.DataFrame, levels: tuple[int, ...]) -> dict[str, float | None]:
    """Share of actuals inside each interval (None where there are no intervals)."""
    out: dict[str, float | None] = {}
    for lv in levels:
        lo, hi = frame[f"lo-{lv}"].to_numpy(), frame[f"hi-{lv}"].to_numpy()
        ok = np.isfinite(lo) & np.isfinite(hi)
        inside = (frame["actual"].to_numpy() >= lo) & (frame["actual"].to_numpy() <= hi)
        out[str(lv)] = float(inside[ok].mean()) if ok.any() else None
    return out


def holdout_frame(
    ds: data.Dataset,
    trained: np.ndarray,
    test_size: int,
    actuals: list[np.ndarray],
    fc: np.ndarray,
    base: list[dict[str, np.ndarray]],
) -> pd.DataFrame:
    """Rows series,date,actual,forecast,<baselines>: the last ``test_size`` dates of each series."""
    ends = ds.indptr[np.asarray(trained, dtype=np.int64) + 1]
    rows = (ends[:, None] - test_size + np.arange(test_size)).ravel()
    grid = pd.date_range(ds.anchor, periods=int(ds.positions[rows].max()) + 1, freq=ds.freq)
    return pd.DataFrame(
        {
            "series": np.repeat(np.asarray([str(ds.ids[k]) for k in trained], dtype=object), test_size),
            "date": date_text(grid[ds.positions[rows]]),
            "actual": np.concatenate(actuals) if actuals else np.empty(0),
            "forecast": np.asarray(fc).ravel(),
            **{name: np.concatenate([b[name] for b in base]) for name in BASELINES},
        }
    )


def date_text(dates: pd.DatetimeIndex, fmt: str | None = None) -> pd.Index:
    """Dates as text in ``fmt``, by default the format these dates need (see ``date_format``)."""
    return dates.strftime(fmt or date_format(dates))


def date_format(dates: pd.DatetimeIndex) -> str:
    """Dates alone where every one is midnight, else dates with the time."""
    return "%Y-%m-%d" if bool((dates == dates.normalize()).all()) else "%Y-%m-%d %H:%M:%S"
