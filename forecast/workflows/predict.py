"""The ``forecast predict`` workflow: ``predict`` loads the run (``workflows.saved_run``),
selects the series, forecasts them and streams the forecast file.

``predict`` works in chunks of ``PREDICT_CHUNK`` series (forecast, write, forget), so memory
stays flat for any panel; only the first ``PREVIEW_ROWS`` rows come back for the CLI. Reading
the new data and the ``--future`` rows is ``workflows.predict_inputs``'s part.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecast.core.choices import Method
from forecast.core.errors import RunError, UsageError
from forecast.data import dataset, output
from forecast.data.dates import date_format, fmt_date
from forecast.model.missing import trailing
from forecast.runs import locks
from forecast.runs import run as runformat
from forecast.scoring import baselines, intervals, statistical
from forecast.workflows.choice import FALLBACK, history
from forecast.workflows.fitting import exog_of, forecast_series
from forecast.workflows.predict_inputs import Selection, append_ahead, future_rows, outside_training, select
from forecast.workflows.saved_run import LoadedRun, load_run
from forecast.workflows.train import LEVELS
from forecast.workflows.unseen import UNSEEN

__all__ = ["PredictOutcome", "predict", "PREDICT_CHUNK", "PREVIEW_ROWS"]

PREDICT_CHUNK = 8192  # series forecast and written at a time: memory stays flat for any panel
PREVIEW_ROWS = 10_000  # forecast rows kept in memory for the terminal table and --json


@dataclass
class PredictOutcome:
    """Where the forecast was written, its size, and its first rows (``PREVIEW_ROWS`` at most)."""

    frame: pd.DataFrame  # the first rows only: the file holds them all
    rows: int
    series: int
    steps: int
    path: Path
    run_dir: Path
    warnings: list[str] = field(default_factory=list)


@locks.reads_run  # a retrain of this run waits until predict has read it and written
def predict(
    run: Path,
    horizon: int | None = None,
    data_path: str | None = None,
    out: Path | None = None,
    only: list[str] | None = None,
    wait: float = 60.0,
    levels: tuple[int, ...] = LEVELS,
    future_path: str | None = None,
    method: Method = Method.auto,
) -> PredictOutcome:
    """Forecast ``horizon`` steps after the last observation of each series (or those in ``only``).

    Runs trained with known-ahead covariates need their values at the forecast dates from
    ``future_path`` (a CSV or Parquet file with the date, the id column of a panel, and them).
    ``method`` ``auto`` forecasts each series by the method train chose for it (the network, or
    a statistical one: ``workflows.choice``); ``model`` by the network wherever it can; any other
    writes that method's forecast for every series, with intervals from its own past errors.
    """
    loaded = load_run(run)
    cfg = loaded.config
    assert cfg.window.lookback and cfg.window.horizon and cfg.window.season  # check.check_settings
    horizon = horizon or cfg.window.horizon
    ahead = cfg.data.future_covariates
    source = data_path or cfg.data.path
    sel = select(loaded, source, only, method)
    if ahead and future_path is None and sel.use_model.any():  # seasonal-naive series need none
        raise UsageError(
            f"{loaded.path} was trained with known-ahead covariates {list(ahead)}; give their values "
            f"for the {horizon} dates after the last observation with --future FILE"
        )
    grid_dates = _forecast_grid(sel, horizon)
    ahead_values, outside = _known_ahead(loaded, sel, horizon, future_path)
    target = Path(out or loaded.path / "forecast.csv")
    with locks.exclusive(target, wait, "writing this forecast file"), output.CsvWriter(target) as sink:
        preview, uncalibrated = _write_chunks(
            loaded, sel, horizon, levels, grid_dates, ahead_values, source, sink
        )
    warnings = list(sel.ds.warnings) + sel.warnings + outside
    warnings += _warnings(loaded, sel, horizon, method, future_path, uncalibrated)
    return PredictOutcome(
        frame=pd.concat(preview, ignore_index=True),
        rows=sink.rows,
        series=len(sel.wanted),
        steps=horizon,
        path=target,
        run_dir=loaded.path,
        warnings=warnings,
    )


def _forecast_grid(sel: Selection, horizon: int) -> pd.DatetimeIndex:
    """The data's grid from its anchor to the last forecast date; UsageError past the year 9999."""
    ds = sel.ds
    try:
        grid_dates = pd.date_range(ds.anchor, periods=int(sel.last_pos.max()) + horizon + 1, freq=ds.freq)
    except (OverflowError, ValueError, pd.errors.OutOfBoundsDatetime):
        grid_dates = None
    if (
        grid_dates is None or grid_dates[-1].year > 9999
    ):  # a date a CSV reader can take back: four-digit years
        raise UsageError(
            f"--horizon {horizon}: the forecast would run past the year 9999 or the last date pandas "
            f"can hold ({ds.freq} steps from {fmt_date(ds.dates.max())}); lower --horizon"
        )
    return grid_dates


def _known_ahead(
    loaded: LoadedRun, sel: Selection, horizon: int, future_path: str | None
) -> tuple[np.ndarray | None, list[str]]:
    """The ``--future`` values (series, rolled steps, known-ahead covariates) of the series the
    model forecasts, checked for every series before any forecast, and range warnings."""
    cfg = loaded.config
    ahead = cfg.data.future_covariates
    if not (ahead and future_path and sel.use_model.any()):
        return None, []
    future = dataset.read_future(future_path, cfg.data, ahead, sel.ds)
    model_rows = np.flatnonzero(sel.use_model)
    found = future_rows(
        future, [sel.wanted[i] for i in model_rows], sel.last_pos[model_rows], horizon, cfg.model.output_size,
        sel.ds, future_path,
    )  # fmt: skip
    values = np.full((len(sel.wanted), *found.shape[1:]), np.nan)
    values[model_rows] = found
    return values, outside_training(found, loaded.ranges, len(cfg.data.covariates), ahead, future_path)


def _write_chunks(
    loaded: LoadedRun,
    sel: Selection,
    horizon: int,
    levels: tuple[int, ...],
    grid_dates: pd.DatetimeIndex,
    ahead_values: np.ndarray | None,
    source: str,
    sink: output.CsvWriter,
) -> tuple[list[pd.DataFrame], int]:
    """Forecast ``PREDICT_CHUNK`` series at a time and write each chunk to ``sink``; returns the
    first ``PREVIEW_ROWS`` rows and how many series got uncalibrated (empty) intervals."""
    columns = intervals.level_columns(levels)
    fmt = date_format(grid_dates)  # one format for the whole file, whatever dates a chunk holds
    groups = intervals.scale_groups(sel.transforms)
    preview: list[pd.DataFrame] = []
    kept, uncalibrated = 0, 0
    for lo in range(0, len(sel.wanted), PREDICT_CHUNK):  # bounded memory: forecast, write, forget
        part = np.arange(lo, min(lo + PREDICT_CHUNK, len(sel.wanted)))
        point, bands, missed = _forecast_chunk(loaded, sel, part, horizon, levels, groups, ahead_values)
        uncalibrated += missed
        if not np.isfinite(point).all():
            raise RunError(
                f"{loaded.path}: the model produced non-finite forecasts for {source}; retrain on this data"
            )
        if np.isinf(bands).any():  # NaN is an empty (uncalibrated) cell; inf is a broken run
            raise RunError(
                f"{loaded.path}: the model produced infinite interval bounds for {source}; "
                "retrain on this data"
            )
        frame = _forecast_frame(
            [sel.wanted[i] for i in part], sel.last_pos[part], grid_dates, fmt, point, sel.methods[part]
        )
        for b, col in enumerate(columns):
            frame.insert(3 + b, col, bands[:, b].ravel())
        if not sel.ds.panel:
            frame = frame.drop(columns=["series"])
        sink.write(frame)
        if kept < PREVIEW_ROWS:
            preview.append(frame.head(PREVIEW_ROWS - kept))
            kept += len(preview[-1])
    return preview, uncalibrated


def _forecast_chunk(
    loaded: LoadedRun,
    sel: Selection,
    part: np.ndarray,
    horizon: int,
    levels: tuple[int, ...],
    groups: Any,
    ahead_values: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Point forecasts (series, horizon) and interval bounds (series, levels x 2, horizon) of the
    series ``part``: the model's where it forecasts them, else the baseline's; and how many of
    the model's series have uncalibrated (NaN) bounds."""
    cfg, ds, w = loaded.config, sel.ds, loaded.config.window
    histories = [sel.values[ds.indptr[sel.index[i]] : ds.indptr[sel.index[i] + 1]] for i in part]
    point = np.empty((len(part), horizon))
    bands = np.full((len(part), len(intervals.level_columns(levels)), horizon), np.nan)
    mk = np.flatnonzero(sel.use_model[part])
    uncalibrated = 0
    if len(mk):
        trained = [int(sel.run_index[part[j]]) for j in mk]
        lags = [trailing(histories[j]) for j in mk]  # --fill mask: the last values may be missing
        offsets = intervals.bounds(loaded.errors, loaded.error_series, trained, levels, horizon, groups, lags)
        exog = None
        if sel.covs is not None:
            raw = [sel.covs[ds.indptr[sel.index[part[j]]] : ds.indptr[sel.index[part[j]] + 1]] for j in mk]
            if ahead_values is not None:
                raw = [append_ahead(r, ahead_values[part[j]]) for r, j in zip(raw, mk)]
            scales = [sel.scales[k] for k in trained]
            exog = exog_of(cfg, raw, [len(histories[j]) for j in mk], scales, horizon)
        point[mk], bands[mk] = forecast_series(
            cfg, loaded.models, [sel.transforms[k] for k in trained], [histories[j] for j in mk],
            [int(sel.firsts[part[j]]) for j in mk], horizon, offsets, exog,
        )  # fmt: skip
        uncalibrated = int(np.isnan(bands[mk]).any(axis=(1, 2)).sum())
    for j in np.flatnonzero(~sel.use_model[part]):
        name = str(sel.baseline[part[j]])
        if name in statistical.METHODS:  # the safety net train chose, or --method theta / ets
            y = history(cfg, histories[j])
            point[j], bands[j] = statistical.with_bounds(name, y, w.season, horizon, levels)
        else:
            point[j] = baselines.forecast(name, histories[j], horizon, w.season)
            bands[j] = baselines.bounds(name, histories[j], horizon, w.season, levels, point[j])
    return point, bands, uncalibrated


def _warnings(
    loaded: LoadedRun,
    sel: Selection,
    horizon: int,
    method: Method,
    future_path: str | None,
    uncalibrated: int,
) -> list[str]:
    """What the forecast file cannot say itself: empty intervals, an ignored --future, a
    horizon far past the trained one, a model that lost on its hold-out, baseline series."""
    cfg, use_model, panel = loaded.config, sel.use_model, sel.ds.panel
    warnings = []
    if uncalibrated:
        who = f" for {uncalibrated} of {int(use_model.sum())} series" if panel else ""
        warnings.append(
            f"empty interval cells{who}: too few out-of-sample errors to calibrate them "
            "(train on longer series or with a larger --val-size)"
        )
    if future_path and not cfg.data.future_covariates:
        warnings.append(f"--future {future_path} ignored: the run was trained without --future-covariate")
    warnings += _horizon_warnings(horizon, cfg.window.horizon, cfg.model.output_size, sel.lengths, method)
    if method is Method.auto:
        warnings += _lost_on_holdout(loaded.path)
    fallback = int((sel.baseline[~use_model] == FALLBACK).sum())
    if fallback and panel and method in (Method.auto, Method.model):
        warnings.append(
            f"{fallback} of {len(use_model)} series forecast by seasonal naive (too short or untrained)"
        )
    if method in (Method.auto, Method.model) and sel.unseen.any():
        warnings += _unseen_warnings(sel, loaded.config.window.lookback or 0)
    return warnings + _stale(sel)


def _stale(sel: Selection) -> list[str]:
    """Series whose last values are missing (``--fill mask``): a feed that stopped should be seen."""
    ds = sel.ds
    lags = [trailing(sel.values[ds.rows(int(k))]) for k in sel.index]
    stale = [(sel.wanted[i], k) for i, k in enumerate(lags) if k]
    if not stale:
        return []
    names = ", ".join(f"'{u}' ({k})" for u, k in stale[:5]) + (", ..." if len(stale) > 5 else "")
    return [
        f"{len(stale)} series end in missing values ({names} missing at the end): forecast from their "
        "last observed values, with intervals widened for the steps since; check the feed"
    ]


def _unseen_warnings(sel: Selection, lookback: int) -> list[str]:
    """How the series the run never saw were forecast: they are no error, but a user should know."""
    fresh = np.flatnonzero(sel.unseen)
    short = [sel.wanted[i] for i in fresh if sel.lengths[i] < lookback]
    out = []
    if sel.use_model[fresh].any():
        who = f"{int(sel.use_model[fresh].sum())} series" if sel.ds.panel else "the series"
        out.append(
            f"{who} not in the run forecast by its network from their own history (method "
            f"'{UNSEEN}'), with intervals from the run's pooled calibration errors"
        )
    if short:
        names = ", ".join(f"'{u}'" for u in short[:5]) + (", ..." if len(short) > 5 else "")
        out.append(
            f"{len(short)} unseen series ({names}) shorter than the model's lookback ({lookback}): "
            "forecast by seasonal naive"
        )
    return out


def _forecast_frame(
    wanted: list[str],
    last_pos: np.ndarray,
    grid_dates: pd.DatetimeIndex,
    fmt: str,
    values: np.ndarray,
    methods: np.ndarray,
) -> pd.DataFrame:
    """Rows series,date,forecast,method with future dates taken from one shared grid."""
    horizon = values.shape[1]
    future = (last_pos[:, None] + np.arange(1, horizon + 1)).ravel()
    return pd.DataFrame(
        {
            "series": np.repeat(np.array(wanted, dtype=object), horizon),
            "date": grid_dates[future].strftime(fmt),
            "forecast": values.ravel(),
            "method": np.repeat(methods, horizon),
        }
    )


def _horizon_warnings(
    horizon: int, trained: int, output_size: int, lengths: np.ndarray, method: Method
) -> list[str]:
    """A horizon far past what the model was trained for, or longer than the history itself."""
    out = []
    if method in (Method.auto, Method.model) and horizon > 2 * trained:
        fed = "from step 2 on" if output_size == 1 else f"after step {output_size}"
        out.append(
            f"--horizon {horizon} is {horizon / trained:.0f}x the trained horizon ({trained}): "
            f"{fed} the model's own forecasts are fed back in as its inputs, so errors compound, and "
            f"the intervals past step {trained} are widened by sqrt(h/{trained}), not calibrated"
        )
    shortest = int(lengths.min()) if len(lengths) else 0
    if len(lengths) and horizon > shortest:
        who = "the history" if len(lengths) == 1 else "the shortest history"
        out.append(
            f"--horizon {horizon} is longer than {who} ({shortest} points): a forecast that far "
            "out rests on very little evidence"
        )
    return out


def _lost_on_holdout(run_dir: Path) -> list[str]:
    """The run's own hold-out found a baseline better than the model: say so, with the fix."""
    try:
        c = runformat.read_metrics(run_dir)["comparison"]  # strict, size-capped
        base, key = str(c["baseline"]), str(c["metric"])
        if c["model_wins"] is not False or base not in baselines.METHODS:
            return []
        model, value = float(c["model"]), float(c["value"])
    except (RunError, KeyError, TypeError, ValueError):  # no comparison (older run): nothing to say
        return []
    name = base.replace("_", " ")
    return [
        f"on its hold-out this run's model lost to {name} ({key.upper()} {model:.3f} vs {value:.3f}); "
        f"--method {base} writes the {name} forecast instead"
    ]
