"""Hold-out scoring of many series against naive baselines, and the one-line verdict."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecast.data.dates import date_text
from forecast.scoring import baselines, metrics

if TYPE_CHECKING:
    from forecast.data import dataset

__all__ = [
    "score",
    "verdict",
    "compare",
    "baselines_for",
    "coverage",
    "holdout_frame",
    "BASELINES",
]

BASELINES = baselines.METHODS


def score(
    ids: Sequence[str],
    histories: Sequence[np.ndarray],
    actuals: Sequence[np.ndarray],
    forecasts: np.ndarray,
    season: int,
    others: dict[str, np.ndarray] | None = None,
) -> tuple[pd.DataFrame, dict[str, Any], list[dict[str, np.ndarray]]]:
    """Metrics per series and their means, for the model, each of ``others`` (more forecasts
    by name, e.g. each candidate train chose among) and each baseline.

    Returns (by_series frame, aggregate dict {"model": {...}, "naive": {...}, ...},
    per-series baseline forecasts).
    """
    extra = [  # from the last observed values where a masked history ends in missing ones
        {name: baselines.forecast(name, hist, len(actual), season) for name in BASELINES}
        for hist, actual in zip(histories, actuals)
    ]
    # one hold-out length for all series
    y = np.asarray(actuals, dtype=np.float64).reshape(len(extra), -1) if extra else np.empty((0, 0))
    scales = np.array([metrics.mase_scale(np.asarray(h, dtype=np.float64), season) for h in histories])
    columns: dict[str, Any] = {"series": list(ids)}
    named = {"model": forecasts, **(others or {})}
    for name in (*named, *BASELINES):
        f = np.asarray(named[name], dtype=np.float64) if name in named else np.array([b[name] for b in extra])
        for key, values in metrics.evaluate_rows(y, f.reshape(y.shape), scales).items():
            columns[f"{name}_{key}"] = values
    by_series = pd.DataFrame(columns)
    agg: dict[str, Any] = {}
    for name in (*named, *BASELINES):
        agg[name] = {key: _nanmean(by_series[f"{name}_{key}"]) for key in metrics.METRICS}
    return by_series, agg, extra


def _nanmean(col: pd.Series) -> float:
    values = col.to_numpy(dtype=np.float64)
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else float("nan")


def baselines_for(season: int) -> tuple[str, ...]:
    """The distinct baselines: without a season, seasonal naive is naive and is left out."""
    return BASELINES if season > 1 else tuple(b for b in BASELINES if b != "seasonal_naive")


def compare(scores: dict[str, Any], season: int) -> dict[str, Any]:
    """The model against the best baseline on these scores (by MASE, or MAE where a MASE is
    undefined): {"baseline", "metric", "model", "value", "model_wins"}."""
    names = baselines_for(season)
    finite = all(np.isfinite(scores[n]["mase"]) for n in ("model", *names))
    key = "mase" if finite else "mae"
    values = {n: scores[n][key] for n in names}
    best = min(names, key=lambda n: values[n] if np.isfinite(values[n]) else np.inf)
    model = scores["model"][key]
    wins = bool(np.isfinite(model) and (not np.isfinite(values[best]) or model < values[best]))
    return {"baseline": best, "metric": key, "model": model, "value": values[best], "model_wins": wins}


def verdict(
    name: str,
    scores: dict[str, Any],
    n_series: int,
    season: int,
    test_size: int | None = None,
    horizon: int | None = None,
) -> str:
    """Does the model beat the best baseline? A one-origin hold-out (``test_size``) shorter than
    a season or two horizons is a thin verdict: the line says so and points to backtest.

    A loss starts with "warning: " and names the ``predict --method`` that writes the winner."""
    c = compare(scores, season)
    label = c["metric"].upper() if n_series == 1 else f"mean {c['metric'].upper()} over {n_series} series"
    base, model, value = c["baseline"].replace("_", " "), c["model"], c["value"]
    short = ""
    if test_size is not None and test_size < max(season, 2 * (horizon or test_size)):
        short = f"; one {test_size}-point hold-out: forecast backtest gives a surer verdict"
    if value == 0:
        return (
            f"warning: {base} is exact on the hold-out ({label} 0); nothing to beat: "
            f"forecast predict --method {c['baseline']} writes the {base} forecast{short}"
        )
    if c["model_wins"]:
        gain = 100.0 * (1.0 - model / value)
        return f"{name} beats the best baseline, {base}, by {gain:.0f}% {label} ({model:.3f} vs {value:.3f}){short}"
    return (
        f"warning: {name} does not beat {base} ({label} {model:.3f} vs {value:.3f}); "
        f"forecast predict --method {c['baseline']} writes the {base} forecast{short}"
    )


def coverage(frame: pd.DataFrame, levels: tuple[int, ...]) -> dict[str, float | None]:
    """Share of actuals inside each interval (None where there are no intervals)."""
    out: dict[str, float | None] = {}
    for lv in levels:
        lo, hi = frame[f"lo-{lv}"].to_numpy(), frame[f"hi-{lv}"].to_numpy()
        actual = frame["actual"].to_numpy()
        ok = np.isfinite(lo) & np.isfinite(hi) & np.isfinite(actual)  # a missing actual is no evidence
        inside = (actual >= lo) & (actual <= hi)
        out[str(lv)] = float(inside[ok].mean()) if ok.any() else None
    return out


def holdout_frame(
    ds: dataset.Dataset,
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
