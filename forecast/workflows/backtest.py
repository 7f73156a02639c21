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

from forecast.core.config import RunConfig
from forecast.core.errors import UsageError
from forecast.data import dataset, output
from forecast.model import distributed
from forecast.model.loop import EpochInfo
from forecast.runs import store
from forecast.scoring import evaluation, intervals, metrics
from forecast.scoring.evaluation import coverage, date_text
from forecast.workflows.fitting import (
    calendar_of,
    calibrate,
    exog_of,
    fit_members,
    resolve,
    series_covariates,
)
from forecast.workflows.train import LEVELS, recent_history

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
    from forecast.model.rollforward import forecast_panel

    if distributed.from_env().active:  # each process would train and write its own report
        raise UsageError("backtest runs as one process; start it without torchrun (only train scales out)")
    if out is not None:
        store.check_target(out)  # before training, not after
    ds = dataset.read(cfg.data)
    probe = resolve(cfg, ds)
    horizon = probe.window.horizon
    assert horizon
    step = step or horizon
    span = horizon + (folds - 1) * step  # points held back at the earliest origin
    cfg = resolve(dataclasses.replace(cfg, window=dataclasses.replace(cfg.window, test_size=span)), ds)
    w = cfg.window
    assert w.lookback and w.season
    need = w.lookback + cfg.model.output_size
    series = [ds.values[ds.rows(k)] for k in range(len(ds.ids))]
    positions = [ds.positions[ds.rows(k)] for k in range(len(ds.ids))]
    covs = series_covariates(cfg, ds)  # known-ahead ones are used after each origin, past ones are not
    warnings = list(ds.warnings)
    parts, tables, by_fold, fitted = [], [], [], None
    for f in range(folds):
        back = horizon + (folds - 1 - f) * step
        keep = [k for k, y in enumerate(series) if len(y) - back >= need]
        cut = [series[k][: len(series[k]) - back] for k in keep]
        if fitted is None or retrain:
            fitted = fit_members(
                cfg,
                cut,
                [positions[k][: len(c)] for k, c in zip(keep, cut)],
                f"fold {f + 1}/{folds}",
                on_epoch,
                covs=None if covs is None else [covs[k][: len(c)] for k, c in zip(keep, cut)],
            )
            held, _ = calibrate(
                cfg,
                fitted,
                cut,
                cut,
                [positions[k][: len(c)] for k, c in zip(keep, cut)],
                None if covs is None else [covs[k] for k in keep],
            )
            trained_on = keep
            warnings += [m for m in fitted.warnings if m not in warnings]
        index = {k: i for i, k in enumerate(trained_on)}
        usable = [k for k in keep if k in index]
        groups = intervals.scale_groups(fitted.transforms)
        offsets = intervals.bounds(held[0], held[1], [index[k] for k in usable], levels, horizon, groups)
        history = [series[k][: len(series[k]) - back] for k in usable]
        exog = exog_of(
            cfg,
            None if covs is None else [covs[k] for k in usable],
            [len(h) for h in history],
            [fitted.scales[index[k]] for k in usable] if fitted.scales else [],
            horizon,
        )
        fc, bands = forecast_panel(
            fitted.models, [fitted.transforms[index[k]] for k in usable], history,
            [int(positions[k][0]) for k in usable], w.lookback, horizon, offsets, calendar_of(cfg), exog,
        )  # fmt: skip
        actual = [series[k][len(series[k]) - back : len(series[k]) - back + horizon] for k in usable]
        ids = [str(ds.ids[k]) for k in usable]
        table, agg, base = evaluation.score(ids, history, actual, fc, w.season)
        by_fold.append({"fold": f + 1, "origin_back": back, "series": len(usable), **agg})
        parts.append(_fold_frame(ds, usable, back, horizon, f + 1, actual, fc, bands, base, levels))
        tables.append(table)
    frame = pd.concat(parts, ignore_index=True)
    by_series = pd.concat(tables).groupby("series", sort=True).mean().reset_index()
    overall = {
        name: {m: _mean(by_series[f"{name}_{m}"]) for m in metrics.METRICS}
        for name in ("model", *evaluation.BASELINES)
    }
    scores = {
        "folds": folds,
        "step": step,
        "horizon": horizon,
        "retrain": retrain,
        "overall": overall,
        "coverage": coverage(frame, levels),
        "verdict": evaluation.verdict(cfg.model.kind.value.upper(), overall, len(by_series), w.season),
        "comparison": evaluation.compare(overall, w.season),
        "by_fold": by_fold,
    }
    target = out or store.new_run_dir(runs_dir, "backtest-")
    with store.staged_run(target) as tmp:
        output.write_csv(frame, tmp / "backtest.csv")
        output.write_csv(by_series, tmp / "metrics_by_series.csv")
        store.write_json(tmp / "metrics.json", scores)
        store.write_json(tmp / store.CONFIG, {"kind": "backtest", "settings": cfg.to_dict(), **scores})
        if plot:
            from forecast.runs.plot import plot_series

            title = f"{cfg.model.kind.value.upper()} backtest, {folds} folds: {scores['verdict']}"
            history = recent_history(ds, w.season, horizon + span)
            plot_series(history, tmp / "backtest.png", title.replace("warning: ", ""), backtest=frame)
    return BacktestOutcome(target, cfg, scores, warnings)


def _mean(col: pd.Series) -> float:
    values = col.to_numpy(dtype=np.float64)
    values = values[np.isfinite(values)]
    return float(values.mean()) if values.size else float("nan")


def _fold_frame(
    ds: dataset.Dataset,
    usable: list[int],
    back: int,
    horizon: int,
    fold: int,
    actual: list[np.ndarray],
    fc: np.ndarray,
    bands: np.ndarray | None,
    base: list[dict[str, np.ndarray]],
    levels: tuple[int, ...],
) -> pd.DataFrame:
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
        for name in evaluation.BASELINES:
            part[name] = base[i][name][:n]
        rows.append(pd.DataFrame(part))
    return pd.concat(rows, ignore_index=True)
