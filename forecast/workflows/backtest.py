"""Rolling-origin evaluation: ``backtest(cfg, folds, step, retrain) -> BacktestOutcome``.

Fold f of K has its origin ``horizon + (K - 1 - f) * step`` points before each series' end;
the model sees only data before the origin (``retrain``: a fresh model per fold; otherwise
one model trained on the first fold, later folds only slide the input window forward).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecast.core.choices import LABELS
from forecast.core.config import RunConfig
from forecast.core.errors import UsageError
from forecast.data import dataset, output
from forecast.data.dates import date_text
from forecast.model import distributed
from forecast.model.loop import EpochInfo
from forecast.runs import dirs, files, staging
from forecast.runs.plot import recent_history
from forecast.scoring import evaluation, intervals, metrics
from forecast.scoring.evaluation import coverage
from forecast.workflows.choice import MODEL, chosen_at, validate
from forecast.workflows.fitting import fit_members, panel_of, resolve
from forecast.workflows.origins import AtOrigin, errors_at, forecast_at, validation_origins
from forecast.workflows.train import LEVELS

__all__ = ["BacktestOutcome", "backtest"]


@dataclass
class BacktestOutcome:
    """Where the report went and its overall scores."""

    out_dir: Path
    config: RunConfig
    metrics: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


def backtest(
    cfg: RunConfig,
    folds: int,
    step: int | None = None,
    retrain: bool = True,
    out: Path | None = None,
    runs_dir: Path = Path("runs"),
    levels: tuple[int, ...] = LEVELS,
    on_epoch: Callable[[str, EpochInfo], None] | None = None,
    plot: bool = True,
) -> BacktestOutcome:
    """Train and forecast at ``folds`` past origins; score every forecast against what happened."""
    if distributed.from_env().active:  # each process would train and write its own report
        raise UsageError("backtest runs as one process; start it without torchrun (only train scales out)")
    if out is not None:
        dirs.check_target(out)  # before training, not after
    ds = dataset.read(cfg.data)
    probe = resolve(cfg, ds)
    horizon = probe.window.horizon
    assert horizon
    step = step or horizon
    span = horizon + (folds - 1) * step  # points held back at the earliest origin
    cfg = resolve(dataclasses.replace(cfg, window=dataclasses.replace(cfg.window, test_size=span)), ds)
    w = cfg.window
    assert w.lookback and w.season
    frame, by_series, by_fold, warnings = _folds(cfg, ds, folds, step, retrain, levels, on_epoch)
    named = [n for n in ("model", "net", *LABELS, *evaluation.BASELINES) if f"{n}_mae" in by_series]
    overall = {name: {m: _mean(by_series[f"{name}_{m}"]) for m in metrics.METRICS} for name in named}
    scores = {
        "folds": folds,
        "step": step,
        "horizon": horizon,
        "retrain": retrain,
        "overall": overall,
        "coverage": coverage(frame, levels),
        "verdict": evaluation.verdict(_name(cfg, frame), overall, len(by_series), w.season),
        "comparison": evaluation.compare(overall, w.season),
        "by_fold": by_fold,
    }
    target = out or dirs.new_run_dir(runs_dir, "backtest-")
    _write(target, cfg, ds, frame, by_series, scores, span if plot else None)
    return BacktestOutcome(target, cfg, scores, warnings)


def _folds(
    cfg: RunConfig,
    ds: dataset.Dataset,
    folds: int,
    step: int,
    retrain: bool,
    levels: tuple[int, ...],
    on_epoch: Callable[[str, EpochInfo], None] | None,
) -> tuple[pd.DataFrame, pd.DataFrame, list[dict[str, Any]], list[str]]:
    """Every fold's forecasts (backtest.csv), the per-series scores averaged over folds, each
    fold's aggregate scores, and the warnings."""
    w = cfg.window
    assert w.lookback and w.season and w.horizon
    horizon, need = w.horizon, w.lookback + cfg.model.output_size
    panel = panel_of(cfg, ds)  # known-ahead covariates are read after each origin, past ones are not
    warnings = list(ds.warnings)
    parts, tables, by_fold, fitted, held, chosen = [], [], [], None, None, None
    for f in range(folds):
        back = horizon + (folds - 1 - f) * step
        keep = panel.take(panel.lengths - back >= need)
        if fitted is None or retrain:
            cut = keep.cut(back)
            fitted = fit_members(cfg, cut, f"fold {f + 1}/{folds}", on_epoch)
            origins = validation_origins(cfg, cut)
            held = errors_at(cfg, fitted, cut, origins)
            chosen = validate(cfg, fitted, cut, origins).choose()  # each series' candidate, as train's
            warnings += [m for m in fitted.warnings if m not in warnings]
        assert held is not None and chosen is not None
        usable = keep.take(np.isin(keep.index, fitted.index))  # without retrain: the first fold's series
        net = forecast_at(cfg, fitted, usable, back, horizon, held, levels)
        picked = chosen[fitted.members(usable.index)]
        fc, bands, named = chosen_at(cfg, net, picked, levels)
        at = AtOrigin(net.history, net.actuals, fc, bands)
        ids = [str(ds.ids[k]) for k in usable.index]
        others = {"net" if n == MODEL else n: v for n, v in named.items()} if len(named) > 1 else None
        table, agg, base = evaluation.score(ids, list(at.history.values), at.actuals, fc, w.season, others)
        by_fold.append({"fold": f + 1, "origin_back": back, "series": len(usable), **agg})
        parts.append(_fold_frame(ds, usable.index.tolist(), back, f + 1, at, base, levels, picked))
        tables.append(table)
    by_series = pd.concat(tables).groupby("series", sort=True).mean().reset_index()
    return pd.concat(parts, ignore_index=True), by_series, by_fold, warnings


def _write(
    target: Path,
    cfg: RunConfig,
    ds: dataset.Dataset,
    frame: pd.DataFrame,
    by_series: pd.DataFrame,
    scores: dict[str, Any],
    plot_span: int | None,
) -> None:
    """The report directory (staged, then swapped in); a picture of the last ``plot_span`` points
    before the forecasts, plus their history, unless None."""
    w = cfg.window
    assert w.season and w.horizon
    with staging.staged_run(target) as tmp:
        output.write_csv(frame, tmp / "backtest.csv")
        output.write_csv(by_series, tmp / "metrics_by_series.csv")
        files.write_json(tmp / "metrics.json", scores)
        files.write_json(tmp / files.CONFIG, {"kind": "backtest", "settings": cfg.to_dict(), **scores})
        if plot_span is not None:
            from forecast.runs.plot import plot_series

            title = f"{cfg.model.kind.value.upper()} backtest, {scores['folds']} folds: {scores['verdict']}"
            history = recent_history(ds, w.season, scores["horizon"] + plot_span)
            plot_series(history, tmp / "backtest.png", title.replace("warning: ", ""), backtest=frame)


def _name(cfg: RunConfig, frame: pd.DataFrame) -> str:
    """Who the verdict speaks of: the network alone, or the forecasts chosen on validation
    (with how many series-folds each candidate forecast)."""
    kind = cfg.model.kind.value.upper()
    label = {MODEL: kind, **LABELS}
    if len(cfg.train.candidates) == 1:
        return label[cfg.train.candidates[0]]
    counts = frame.groupby(["series", "fold"])["method"].first().value_counts()
    each = ", ".join(f"{label[m]} {int(counts.get(m, 0))}" for m in cfg.train.candidates)
    return f"the choice made on validation ({each} series-folds)"


def _mean(col: pd.Series) -> float:
    values = col.to_numpy(dtype=np.float64)
    values = values[np.isfinite(values)]
    return float(values.mean()) if values.size else float("nan")


def _fold_frame(
    ds: dataset.Dataset,
    usable: list[int],
    back: int,
    fold: int,
    at: AtOrigin,
    base: list[dict[str, np.ndarray]],
    levels: tuple[int, ...],
    picked: np.ndarray,
) -> pd.DataFrame:
    """Rows series,fold,origin,date,actual,forecast,<bounds>,method,<baselines> of one fold."""
    actual, fc, bands = at.actuals, at.forecast, at.bands
    rows = []
    for i, k in enumerate(usable):
        dates = ds.dates[ds.rows(k)]
        origin = dates[len(dates) - back - 1]
        n = len(actual[i])
        part = {
            "series": str(ds.ids[k]),
            "fold": fold,
            "origin": date_text(pd.DatetimeIndex([origin]))[0],
            "date": date_text(dates[len(dates) - back : len(dates) - back + n]),
            "actual": actual[i],
            "forecast": fc[i][:n],
        }
        for b, col in enumerate(intervals.level_columns(levels)):
            part[col] = bands[i, b][:n] if bands is not None else np.nan
        part["method"] = picked[i]
        for name in evaluation.BASELINES:
            part[name] = base[i][name][:n]
        rows.append(pd.DataFrame(part))
    return pd.concat(rows, ignore_index=True)
