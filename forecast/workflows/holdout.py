"""The hold-out of ``forecast train``: the models fitted before it forecast it from its origin
(``origins.forecast_at``, as a backtest fold does), scored against the baselines, and the
calibration errors predict's intervals will use.

No I/O: ``workflows.train`` writes what ``score_holdout`` returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from forecast.core.config import RunConfig
from forecast.data import dataset
from forecast.data.panel import Panel
from forecast.scoring import evaluation, intervals
from forecast.workflows.fitting import Fitted, min_errors
from forecast.workflows.origins import errors_at, forecast_at, validation_origins

__all__ = ["Scored", "score_holdout", "empty_interval_advice"]


@dataclass
class Scored:
    """Hold-out results: scores for metrics.json, the hold-out and per-series frames (None
    without a hold-out) and the calibration errors saved for predict."""

    scores: dict[str, Any]
    holdout: pd.DataFrame | None
    by_series: pd.DataFrame | None
    cal_errors: tuple[np.ndarray, np.ndarray]


def score_holdout(
    cfg: RunConfig, ds: dataset.Dataset, fit1: Fitted, trained: Panel, levels: tuple[int, ...]
) -> Scored:
    """Score ``fit1`` (fitted on ``trained`` without its last ``test_size`` values) on those values.

    The hold-out's intervals come from validation origins whose targets end at the hold-out;
    the errors saved for predict add the hold-out origin and use every target there is.
    """
    w = cfg.window
    assert w.lookback and w.season and w.test_size is not None
    cut = trained.cut(w.test_size)
    origins = validation_origins(cfg, cut)
    held = errors_at(cfg, fit1, cut, origins)
    if w.test_size:
        origins = origins + [(i, n) for i, n in enumerate(cut.lengths.tolist())]
    cal_errors = errors_at(cfg, fit1, trained, origins)
    scored = trained.take(cut.lengths >= w.lookback)  # enough history to forecast
    scores: dict[str, Any] = {"test_size": w.test_size, "series": len(ds.ids), "scored_series": len(scored)}
    if not w.test_size:
        return Scored(scores, None, None, cal_errors)
    at = forecast_at(cfg, fit1, scored, w.test_size, w.test_size, held, levels)
    ids = [str(ds.ids[k]) for k in scored.index]
    by_series, agg, base = evaluation.score(ids, list(at.history.values), at.actuals, at.forecast, w.season)
    scores.update(agg)
    scores["verdict"] = evaluation.verdict(
        cfg.model.kind.value.upper(), scores, _observed(at.actuals), w.season, w.test_size, w.horizon
    )
    scores["comparison"] = evaluation.compare(scores, w.season)
    holdout = evaluation.holdout_frame(ds, scored.index, w.test_size, at.actuals, at.forecast, base)
    for b, col in enumerate(intervals.level_columns(levels)):
        holdout.insert(4 + b, col, at.bands[:, b].ravel() if at.bands is not None else np.nan)
    scores["holdout_coverage"] = evaluation.coverage(holdout, levels)
    return Scored(scores, holdout, by_series, cal_errors)


def _observed(actuals: list[np.ndarray]) -> int:
    """Series with at least one hold-out value to score (``--fill mask`` may leave none)."""
    return sum(bool(np.isfinite(a).any()) for a in actuals)


def empty_interval_advice(cfg: RunConfig, empty: list[int], n_series: int, lengths: np.ndarray) -> str:
    """Why the hold-out has no interval at these levels, and the --val-size that would give one."""
    w = cfg.window
    assert w.horizon and w.lookback and w.test_size is not None
    val, need = w.val_size or 0, min_errors(max(empty))
    have = n_series * max(val - w.horizon + 1, 0)
    wanted = w.horizon - 1 + -(-need // max(n_series, 1))
    spare = int(np.median(lengths)) - w.test_size - w.lookback - cfg.model.output_size - 8
    levels = "/".join(str(lv) for lv in empty)
    head = (
        f"no {levels}% intervals on the hold-out: a {max(empty)}% interval needs {need} out-of-sample "
        f"errors at each step and the last step has {have} (--val-size {val}, {n_series} series)"
    )
    if wanted <= spare:
        return f"{head}; --val-size {wanted} gives them"
    low = w.horizon - 1 + -(-min_errors(80) // max(n_series, 1))
    if max(empty) > 80 and low <= spare:
        return (
            f"{head}; the series are too short to spare --val-size {wanted}; --val-size {low} gives 80% ones"
        )
    return (
        f"{head}; the series are too short to spare --val-size {wanted}: it takes {wanted - spare} more "
        "rows per series"
    )
