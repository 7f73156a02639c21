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
from forecast.scoring import evaluation, intervals, statistical
from forecast.workflows.choice import MODEL, Evidence, history, validate
from forecast.workflows.fitting import Fitted, min_errors
from forecast.workflows.origins import AtOrigin, errors_at, forecast_at, validation_origins

__all__ = ["Scored", "score_holdout", "empty_interval_advice"]


@dataclass
class Scored:
    """Hold-out results: scores for metrics.json, the hold-out and per-series frames (None
    without a hold-out), the calibration errors saved for predict, and each trained series'
    method (``workflows.choice``: chosen on validation and hold-out together)."""

    scores: dict[str, Any]
    holdout: pd.DataFrame | None
    by_series: pd.DataFrame | None
    cal_errors: tuple[np.ndarray, np.ndarray]
    methods: np.ndarray


def score_holdout(
    cfg: RunConfig, ds: dataset.Dataset, fit1: Fitted, trained: Panel, levels: tuple[int, ...]
) -> Scored:
    """Score ``fit1`` (fitted on ``trained`` without its last ``test_size`` values) on those values.

    Each series' forecast is the candidate its validation origins chose; the hold-out's
    intervals come from validation origins whose targets end at the hold-out; the errors saved
    for predict add the hold-out origin and use every target there is.
    """
    w = cfg.window
    assert w.lookback and w.season and w.test_size is not None
    cut = trained.cut(w.test_size)
    origins = validation_origins(cfg, cut)
    held = errors_at(cfg, fit1, cut, origins)
    val = validate(cfg, fit1, cut, origins)
    n_val = sum(t >= w.lookback for _, t in origins)  # where the network was validated
    if w.test_size:
        origins = origins + [(i, n) for i, n in enumerate(cut.lengths.tolist())]
    cal_errors = errors_at(cfg, fit1, trained, origins)
    rows = np.flatnonzero(cut.lengths >= w.lookback)  # enough history to forecast
    scored = trained.take(cut.lengths >= w.lookback)
    scores: dict[str, Any] = {"test_size": w.test_size, "series": len(ds.ids), "scored_series": len(scored)}
    if not w.test_size:
        scores["choice"] = _summary(val.names, val.choose(), val.choose(), n_val)
        return Scored(scores, None, None, cal_errors, val.choose())
    at = forecast_at(cfg, fit1, scored, w.test_size, w.test_size, held, levels)
    picked = val.choose()[rows]
    fc, bands, named = _chosen(cfg, at, picked, val.names, levels)
    hold = Evidence.empty(val.names, len(trained.lengths))
    for name, values in named.items():
        hold.record(name, rows, np.asarray(at.actuals, dtype=np.float64), values)
    shipped = val.add(hold).choose()
    ids = [str(ds.ids[k]) for k in scored.index]
    others = {_column(n): named[n] for n in val.names} if len(val.names) > 1 else None
    by_series, agg, base = evaluation.score(ids, list(at.history.values), at.actuals, fc, w.season, others)
    scores.update(agg)
    untested = n_val == 0 and MODEL in val.names and len(val.names) > 1
    scores["verdict"] = _verdict(
        cfg, scores, _observed(at.actuals), picked, shipped[rows], val.names, untested
    )
    scores["comparison"] = evaluation.compare(scores, w.season)
    scores["choice"] = _summary(val.names, picked, shipped, n_val)
    holdout = evaluation.holdout_frame(ds, scored.index, w.test_size, at.actuals, fc, base)
    for b, col in enumerate(intervals.level_columns(levels)):
        holdout.insert(4 + b, col, bands[:, b].ravel())
    holdout.insert(4 + 2 * len(levels), "method", np.repeat(picked, w.test_size))
    for k, (name, values) in enumerate((others or {}).items()):
        holdout.insert(5 + 2 * len(levels) + k, name, values.ravel())
    scores["holdout_coverage"] = evaluation.coverage(holdout, levels)
    return Scored(scores, holdout, by_series, cal_errors, shipped)


def _column(name: str) -> str:
    """A candidate's column in holdout.csv and metrics: the network is ``net`` there (``model``
    and ``forecast`` are what was chosen)."""
    return "net" if name == MODEL else name


def _chosen(
    cfg: RunConfig, at: AtOrigin, picked: np.ndarray, names: tuple[str, ...], levels: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """The hold-out forecasts and bounds of each series' ``picked`` candidate, and every
    candidate's forecasts by name (each from the history before the hold-out only)."""
    season = cfg.window.season or 1
    histories = [history(cfg, y) for y in at.history.values]
    horizon = at.forecast.shape[1]
    named = {MODEL: at.forecast} if MODEL in names else {}
    fc = np.array(at.forecast, dtype=np.float64)
    bands = np.full((len(fc), 2 * len(levels), horizon), np.nan) if at.bands is None else np.array(at.bands)
    for name in (n for n in names if n != MODEL):
        named[name] = np.array([statistical.forecast(name, y, season, horizon) for y in histories])
        for k in np.flatnonzero(picked == name):
            fc[k] = named[name][k]
            bands[k] = statistical.bounds(name, histories[k], season, horizon, levels, fc[k])
    return fc, bands, named


def _summary(names: tuple[str, ...], picked: np.ndarray, shipped: np.ndarray, origins: int) -> dict[str, Any]:
    """metrics.json's ``choice``: the candidates, how many series each was chosen for on
    validation (the hold-out's forecast) and for the saved run, and the origins behind it."""
    count = lambda chosen: {_column(n): int((chosen == n).sum()) for n in names}  # noqa: E731
    return {
        "candidates": [_column(n) for n in names],
        "validation_origins": origins,
        "holdout": count(picked),
        "shipped": count(shipped),
    }


def _verdict(
    cfg: RunConfig,
    scores: dict[str, Any],
    n_series: int,
    picked: np.ndarray,
    shipped: np.ndarray,
    names: tuple[str, ...],
    untested: bool,
) -> str:
    """The verdict line on the chosen forecasts, naming the choice (and what the run ships
    where the hold-out's evidence changed it); ``untested``: too short to validate the network."""
    w = cfg.window
    assert w.season
    label = {MODEL: cfg.model.kind.value.upper(), "theta": "Theta", "ets": "ETS"}
    if len(names) == 1:
        name = label[names[0]]
    elif len(picked) == 1 and untested:
        name = f"{label[picked[0]]} (too short to validate {label[MODEL]}: the safety net by default)"
    elif len(picked) == 1:
        others = ", ".join(label[n] for n in names if n != picked[0])
        name = f"{label[picked[0]]} (chosen on validation over {others})"
    else:
        counts = ", ".join(f"{label[n]} {int((picked == n).sum())}" for n in names)
        name = f"the forecasts chosen on validation ({counts} series)"
    line = evaluation.verdict(name, scores, n_series, w.season, w.test_size, w.horizon)
    if len(names) > 1 and not np.array_equal(picked, shipped):
        if len(shipped) == 1:
            line += f"; with the hold-out's errors too, the run forecasts with {label[shipped[0]]}"
        else:
            counts = ", ".join(f"{label[n]} {int((shipped == n).sum())}" for n in names)
            line += f"; with the hold-out's errors too, the run forecasts with {counts} series"
    return line


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
