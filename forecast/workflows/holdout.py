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

from forecast.core.choices import LABELS
from forecast.core.config import RunConfig
from forecast.core.errors import DataError
from forecast.data import dataset
from forecast.data.panel import Panel
from forecast.scoring import evaluation, intervals, statistical
from forecast.workflows.choice import (
    MODEL,
    Evidence,
    chosen_at,
    history,
    statistical_at,
    validate,
    without_network,
)
from forecast.workflows.fitting import Fitted, min_errors
from forecast.workflows.origins import errors_at, forecast_at, validation_origins

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
    cfg: RunConfig,
    ds: dataset.Dataset,
    fit1: Fitted,
    trained: Panel,
    levels: tuple[int, ...],
    short: Panel | None = None,
) -> Scored:
    """Score ``fit1`` (fitted on ``trained`` without its last ``test_size`` values) on those values,
    and the statistical methods of the ``short`` series (too short for the network).

    Each series' forecast is the candidate its validation origins chose; the hold-out's
    intervals come from validation origins whose targets end at the hold-out; the errors saved
    for predict add the hold-out origin and use every target there is.
    """
    w = cfg.window
    assert w.lookback and w.season and w.test_size is not None
    cut = trained.cut(w.test_size)
    origins = validation_origins(cfg, cut)
    none = (np.empty((0, w.horizon or 1), dtype=np.float32), np.empty(0, dtype=np.int64))
    held = errors_at(cfg, fit1, cut, origins) if len(cut.index) else none
    val = validate(cfg, fit1, cut, origins)
    split = (w.val_size or 0) >= cfg.model.output_size  # else no validation split (choice.validate)
    n_val = sum(t >= w.lookback for _, t in origins) if split else 0  # where the network was validated
    if w.test_size:
        origins = origins + [(i, n) for i, n in enumerate(cut.lengths.tolist())]
    cal_errors = errors_at(cfg, fit1, trained, origins) if len(cut.index) else none
    rows = np.flatnonzero(cut.lengths >= w.lookback)  # enough history to forecast
    scores: dict[str, Any] = {"test_size": w.test_size, "series": len(ds.ids)}
    if not w.test_size:
        scores["choice"] = _summary(val, val.choose(), val.choose(), n_val)
        return Scored(scores, None, None, cal_errors, val.choose())
    net = _net_part(cfg, fit1, trained.take(cut.lengths >= w.lookback), held, val.choose()[rows], levels)
    hold = Evidence.empty(val.names, len(trained.lengths))
    for name, values in net.named.items() if net else ():
        hold.record(name, rows, np.asarray(net.actuals, dtype=np.float64), values)
    shipped = val.confirmed(hold)
    part = _joined(net, _short_part(cfg, short, levels), val.names)
    if part is None:  # resolve refuses data with no series to score
        raise DataError("no series is long enough to score the hold-out")
    scores["scored_series"] = len(part.index)
    ids = [str(ds.ids[k]) for k in part.index]
    others = {_column(n): part.named[n] for n in val.names} if len(val.names) > 1 else None
    by_series, agg, base = evaluation.score(
        ids, part.histories, part.actuals, part.forecast, w.season, others
    )
    scores.update(agg)
    untested = "" if n_val or MODEL not in val.names or len(val.names) == 1 else "validate"
    untested = "train" if untested and not len(fit1.index) else untested
    picked, after = part.picked, np.array(part.picked)
    if net is not None:
        after[np.isin(part.index, net.index)] = shipped[rows]
    scores["verdict"] = _verdict(cfg, scores, _observed(part.actuals), picked, after, val.names, untested)
    scores["comparison"] = evaluation.compare(scores, w.season)
    scores["choice"] = _summary(val, picked, after, n_val)
    holdout = _frame(ds, w.test_size, part, base, others, levels)
    scores["holdout_coverage"] = evaluation.coverage(holdout, levels)
    return Scored(scores, holdout, by_series, cal_errors, shipped)


def _frame(
    ds: dataset.Dataset, test_size: int, part: _Part, base: Any, others: dict | None, levels: tuple[int, ...]
) -> pd.DataFrame:
    """holdout.csv: series, date, actual, forecast, the bounds, the method, each candidate's
    forecast (with more than one) and the baselines'."""
    holdout = evaluation.holdout_frame(ds, part.index, test_size, part.actuals, part.forecast, base)
    for b, col in enumerate(intervals.level_columns(levels)):
        holdout.insert(4 + b, col, part.bands[:, b].ravel())
    holdout.insert(4 + 2 * len(levels), "method", np.repeat(part.picked, test_size))
    for k, (name, values) in enumerate((others or {}).items()):
        holdout.insert(5 + 2 * len(levels) + k, name, values.ravel())
    return holdout


@dataclass
class _Part:
    """Hold-out forecasts of some series (``index``: their Dataset numbers)."""

    index: np.ndarray
    histories: list[np.ndarray]  # before the hold-out
    actuals: list[np.ndarray]
    forecast: np.ndarray  # (series, test_size): each series' picked candidate's
    bands: np.ndarray  # (series, 2 * levels, test_size)
    picked: np.ndarray  # each series' candidate, chosen on validation
    named: dict[str, np.ndarray]  # every candidate's forecasts (NaN where it cannot forecast)


def _net_part(
    cfg: RunConfig, fit1: Fitted, scored: Panel, held: Any, picked: np.ndarray, levels: tuple[int, ...]
) -> _Part | None:
    """The series the network was fitted on: every candidate's hold-out forecasts."""
    w = cfg.window
    assert w.test_size
    if not len(scored.index):
        return None
    at = forecast_at(cfg, fit1, scored, w.test_size, w.test_size, held, levels)
    fc, bands, named = chosen_at(cfg, at, picked, levels)
    return _Part(scored.index, list(at.history.values), at.actuals, fc, bands, picked, named)


def _short_part(cfg: RunConfig, short: Panel | None, levels: tuple[int, ...]) -> _Part | None:
    """The series too short for the network but long enough for a statistical forecast of the
    hold-out: the statistical candidate validation on the values before it chose."""
    w = cfg.window
    assert w.test_size
    names = [n for n in cfg.train.candidates if n != MODEL]
    if short is None or not names:
        return None
    short = short.take(short.lengths > w.test_size + statistical.MIN_LENGTH)
    if not len(short.index):
        return None
    cut = short.cut(w.test_size)
    picked = without_network(cfg, cut)
    histories = list(cut.values)
    point, bands = statistical_at(cfg, histories, w.test_size, picked, levels)
    named = {
        n: np.array([statistical.forecast(n, history(cfg, y), w.season or 1, w.test_size) for y in histories])
        for n in names
    }
    named[MODEL] = np.full_like(point, np.nan)
    actuals = [y[-w.test_size :] for y in short.values]
    return _Part(short.index, histories, actuals, point, bands, picked, named)


def _joined(a: _Part | None, b: _Part | None, names: tuple[str, ...]) -> _Part | None:
    """Both parts' series, in Dataset order."""
    if a is None or b is None:
        return a or b
    order = np.argsort(np.r_[a.index, b.index], kind="stable")

    def pick(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.concatenate([x, y])[order]

    return _Part(
        pick(a.index, b.index), [(a.histories + b.histories)[i] for i in order],
        [(list(a.actuals) + list(b.actuals))[i] for i in order], pick(a.forecast, b.forecast),
        pick(a.bands, b.bands), pick(a.picked, b.picked), {n: pick(a.named[n], b.named[n]) for n in names},
    )  # fmt: skip


def _column(name: str) -> str:
    """A candidate's column in holdout.csv and metrics: the network is ``net`` there (``model``
    and ``forecast`` are what was chosen)."""
    return "net" if name == MODEL else name


def _summary(val: Evidence, picked: np.ndarray, shipped: np.ndarray, origins: int) -> dict[str, Any]:
    """metrics.json's ``choice``: the candidates, how many series each was chosen for on
    validation (the hold-out's forecast) and for the saved run, and the origins behind it;
    for one series, each candidate's mean absolute error at them (null: not validated)."""
    names = val.names
    count = lambda chosen: {_column(n): int((chosen == n).sum()) for n in names}  # noqa: E731
    out = {
        "candidates": [_column(n) for n in names],
        "validation_origins": origins,
        "holdout": count(picked),
        "shipped": count(shipped),
    }
    if len(val.total) == 1:
        mae = val.mae()[0]
        out["validation_mae"] = {_column(n): float(v) if np.isfinite(v) else None for n, v in zip(names, mae)}
    return out


def _verdict(
    cfg: RunConfig,
    scores: dict[str, Any],
    n_series: int,
    picked: np.ndarray,
    shipped: np.ndarray,
    names: tuple[str, ...],
    untested: str,
) -> str:
    """The verdict line on the chosen forecasts, naming the choice (and what the run ships
    where the hold-out's evidence changed it); ``untested``: "validate" or "train" where the data
    were too short to do that to the network."""
    w = cfg.window
    assert w.season
    label = {MODEL: cfg.model.kind.value.upper(), **LABELS}
    if len(names) == 1:
        name = label[names[0]]
    elif len(picked) == 1 and untested:
        why = (
            f"too short to train {label[MODEL]}"
            if untested == "train"
            else (f"no validation origins for {label[MODEL]} at --val-size {cfg.window.val_size}")
        )
        name = f"{label[picked[0]]} ({why}: the safety net by default)"
    elif len(picked) == 1:
        others = ", ".join(label[n] for n in names if n != picked[0])
        name = f"{label[picked[0]]} (chosen on validation over {others})"
    else:
        counts = ", ".join(f"{label[n]} {int((picked == n).sum())}" for n in names)
        name = f"the choice made on validation ({counts} series)"
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
