"""Forecast with a saved run: ``load_run`` checks and rebuilds it, ``predict`` streams forecasts.

``predict`` works in chunks of ``PREDICT_CHUNK`` series (forecast, write, forget), so memory
stays flat for any panel; only the first ``PREVIEW_ROWS`` rows come back for the CLI.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecast.core.config import Method, RunConfig
from forecast.core.errors import DataError, RunError, UsageError
from forecast.data import dataset, grid, output
from forecast.data.cells import check_zone
from forecast.model import covariates, windows
from forecast.runs import check, store
from forecast.runs import run as runformat
from forecast.scoring import baselines, intervals
from forecast.scoring.evaluation import date_format
from forecast.workflows.fitting import calendar_of, covariates_of, exog_of
from forecast.workflows.train import FALLBACK, LEVELS, MODEL

__all__ = ["LoadedRun", "PredictOutcome", "load_run", "predict", "PREDICT_CHUNK", "PREVIEW_ROWS"]

PREDICT_CHUNK = 8192  # series forecast and written at a time: memory stays flat for any panel
PREVIEW_ROWS = 10_000  # forecast rows kept in memory for the terminal table and --json


@dataclass
class LoadedRun:
    """A validated run directory with its models ready to forecast."""

    path: Path
    config: RunConfig
    meta: dict[str, Any]
    ids: list[str]
    methods: list[str]
    transforms: list[windows.SeriesTransform]
    models: list[Any]  # forecast.model.networks.Forecaster, one per ensemble member
    errors: np.ndarray  # calibration errors (n, horizon) in model space
    error_series: np.ndarray  # the series index of each row of ``errors``
    scales: list[covariates.CovariateScale] = field(default_factory=list)  # runs with covariates
    ranges: tuple[list[float], list[float]] | None = None  # each covariate's min and max in training


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


def load_run(run: Path) -> LoadedRun:
    """Validate a run directory and rebuild its models from config.json + safetensors.

    Every value is checked (``runs.check``) before it sizes anything: the settings against each
    other, series.json against them, the weights' header against the network they describe."""
    found = runformat.read(run)
    path, cfg, meta = found.path, found.config, found.meta
    series = runformat.read_series(found)
    ids, methods = series["ids"], series["method"]
    transforms = windows.transforms_from_dict(series["transform"], len(ids))
    check.check_series(ids, transforms, cfg, meta["data"], path / store.SERIES)
    scales, ranges = [], None
    if covariates_of(cfg):
        width = len(cfg.data.covariates) + len(cfg.data.future_covariates)
        scales = covariates.scales_from_dict(series.get("covariate_scale"), len(ids), width)
        ranges = _ranges(series.get("covariate_range"), width)
    weights_path = path / store.WEIGHTS
    state = runformat.load_state(found)  # the header against config.json before loading or building
    from forecast.model.networks import build_model

    errors = state.pop("calibration.errors").numpy()
    error_series = state.pop("calibration.series").numpy()
    check.check_calibration(errors, error_series, len(ids), weights_path)
    models = []
    for k in range(cfg.train.ensemble):
        model = build_model(cfg.model)
        member = {name[len(f"{k}.") :]: v for name, v in state.items() if name.startswith(f"{k}.")}
        try:
            model.load_state_dict(member, strict=True)
        except RuntimeError as exc:
            first = str(exc).strip().splitlines()[0]
            raise RunError(f"{path}: weights do not fit the model in config.json ({first})") from None
        models.append(model.eval())
    return LoadedRun(
        path,
        cfg,
        meta,
        ids,
        methods,
        transforms,
        models,
        errors,
        error_series.astype(np.int64),
        scales,
        ranges,
    )


@store.reads_run  # a retrain of this run waits until predict has read it and written
def predict(
    run: Path,
    horizon: int | None = None,
    data_path: str | None = None,
    out: Path | None = None,
    only: list[str] | None = None,
    wait: float = 60.0,
    levels: tuple[int, ...] = LEVELS,
    future_path: str | None = None,
    method: Method = Method.model,
) -> PredictOutcome:
    """Forecast ``horizon`` steps after the last observation of each series (or those in ``only``).

    Runs trained with known-ahead covariates need their values at the forecast dates from
    ``future_path`` (a CSV or Parquet file with the date, the id column of a panel, and them).
    ``method`` other than ``model`` writes that baseline's forecast for every series instead,
    with intervals from its own past errors (``baselines.bounds``).
    """
    from forecast.model.rollforward import forecast_panel

    loaded = load_run(run)
    meta, cfg = loaded.meta, loaded.config
    w = cfg.window
    assert w.lookback and w.horizon and w.season  # check.check_settings
    horizon = horizon or w.horizon
    ahead = cfg.data.future_covariates
    source = data_path or cfg.data.path
    # the run's columns and frequency: a file that differs fails with what differs
    ds = read_like_training(cfg, meta["data"], source)
    _check_compatible(ds, meta, loaded.ids)
    known = {uid: k for k, uid in enumerate(loaded.ids)}
    wanted = [str(u) for u in ds.ids]
    if only:
        present, chosen = set(wanted), set(only)
        missing = [s for s in only if s not in present]
        if missing:
            raise DataError(
                f"{source}: no series {missing} (--series); it has {len(wanted)} series, e.g. {wanted[:5]}"
            )
        wanted = [u for u in wanted if u in chosen]
    shift = int(
        grid.grid_positions(pd.DatetimeIndex([ds.anchor]), pd.Timestamp(meta["data"]["anchor"]), ds.freq)[0]
    )
    if shift == grid.OFF_GRID:
        raise DataError(f"{source}: dates are not on the run's {ds.freq} grid")
    rows = {str(u): k for k, u in enumerate(ds.ids)}
    index = np.array([rows[u] for u in wanted], dtype=np.int64)
    values = ds.values
    lengths = np.diff(ds.indptr)[index]
    use_model = np.array([loaded.methods[known[u]] == MODEL for u in wanted], dtype=bool) & (
        lengths >= w.lookback
    )
    baseline = FALLBACK if method is Method.model else method.value  # for the series the model skips
    if method is not Method.model:
        use_model[:] = False
    elif not ds.panel and not use_model[0]:
        raise DataError(f"{source}: has {lengths[0]} rows; the model needs the last {w.lookback}")
    if ahead and future_path is None and use_model.any():  # seasonal-naive series need none
        raise UsageError(
            f"{loaded.path} was trained with known-ahead covariates {list(ahead)}; give their values "
            f"for the {horizon} dates after the last observation with --future FILE"
        )
    firsts = ds.positions[ds.indptr[index]] + shift
    last_pos = ds.positions[ds.indptr[index + 1] - 1]
    try:
        grid_dates = pd.date_range(ds.anchor, periods=int(last_pos.max()) + horizon + 1, freq=ds.freq)
    except (OverflowError, ValueError, pd.errors.OutOfBoundsDatetime):
        grid_dates = None
    if (
        grid_dates is None or grid_dates[-1].year > 9999
    ):  # a date a CSV reader can take back: four-digit years
        raise UsageError(
            f"--horizon {horizon}: the forecast would run past the year 9999 or the last date pandas "
            f"can hold ({ds.freq} steps from {grid.fmt_date(ds.dates.max())}); lower --horizon"
        )
    fmt = date_format(grid_dates)  # one format for the whole file, whatever dates a chunk holds
    covs = ds.covariates if loaded.scales else None  # (rows, covariates), built once
    ahead_values, outside = None, []
    if ahead and future_path and use_model.any():  # checked for every series before any forecast
        future = dataset.read_future(future_path, cfg.data, ahead, ds)
        model_rows = np.flatnonzero(use_model)
        found = _future_rows(
            future, [wanted[i] for i in model_rows], last_pos[model_rows], horizon, cfg.model.output_size,
            ds, future_path,
        )  # fmt: skip
        ahead_values = np.full((len(wanted), *found.shape[1:]), np.nan)
        ahead_values[model_rows] = found
        outside = _outside_training(found, loaded.ranges, len(cfg.data.covariates), ahead, future_path)
    columns = intervals.level_columns(levels)
    target = Path(out or loaded.path / "forecast.csv")
    preview: list[pd.DataFrame] = []
    kept, uncalibrated = 0, 0
    groups = intervals.scale_groups(loaded.transforms)
    with store.exclusive(target, wait, "writing this forecast file"), output.CsvWriter(target) as sink:
        for lo in range(0, len(wanted), PREDICT_CHUNK):  # bounded memory: forecast, write, forget
            part = np.arange(lo, min(lo + PREDICT_CHUNK, len(wanted)))
            histories = [values[ds.indptr[index[i]] : ds.indptr[index[i] + 1]] for i in part]
            point = np.empty((len(part), horizon))
            bands = np.full((len(part), len(columns), horizon), np.nan)
            mk = np.flatnonzero(use_model[part])
            if len(mk):
                trained = [known[wanted[part[j]]] for j in mk]
                offsets = intervals.bounds(
                    loaded.errors, loaded.error_series, trained, levels, horizon, groups
                )
                exog = None
                if covs is not None:
                    raw = [covs[ds.indptr[index[part[j]]] : ds.indptr[index[part[j]] + 1]] for j in mk]
                    if ahead_values is not None:
                        raw = [_append_ahead(r, ahead_values[part[j]]) for r, j in zip(raw, mk)]
                    exog = exog_of(
                        cfg,
                        raw,
                        [len(histories[j]) for j in mk],
                        [loaded.scales[k] for k in trained],
                        horizon,
                    )
                point[mk], bands[mk] = forecast_panel(
                    loaded.models,
                    [loaded.transforms[k] for k in trained],
                    [histories[j] for j in mk],
                    [int(firsts[part[j]]) for j in mk],
                    w.lookback,
                    horizon,
                    offsets,
                    calendar_of(cfg),
                    exog,
                )
                uncalibrated += int(np.isnan(bands[mk]).any(axis=(1, 2)).sum())
            for j in np.flatnonzero(~use_model[part]):
                point[j] = baselines.forecast(baseline, histories[j], horizon, w.season)
                bands[j] = baselines.bounds(baseline, histories[j], horizon, w.season, levels, point[j])
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
                [wanted[i] for i in part], last_pos[part], grid_dates, fmt, point, use_model[part], baseline
            )
            for b, col in enumerate(columns):
                frame.insert(3 + b, col, bands[:, b].ravel())
            if not ds.panel:
                frame = frame.drop(columns=["series", "method"])
            sink.write(frame)
            if kept < PREVIEW_ROWS:
                preview.append(frame.head(PREVIEW_ROWS - kept))
                kept += len(preview[-1])
    warnings = list(ds.warnings) + outside
    if uncalibrated:
        who = f" for {uncalibrated} of {int(use_model.sum())} series" if ds.panel else ""
        warnings.append(
            f"empty interval cells{who}: too few out-of-sample errors to calibrate them "
            "(train on longer series or with a larger --val-size)"
        )
    if future_path and not ahead:
        warnings.append(f"--future {future_path} ignored: the run was trained without --future-covariate")
    warnings += _horizon_warnings(horizon, w.horizon, cfg.model.output_size, lengths, method)
    if method is Method.model:
        warnings += _lost_on_holdout(loaded.path)
    fallback = int((~use_model).sum())
    if fallback and ds.panel and method is Method.model:
        warnings.append(
            f"{fallback} of {len(use_model)} series forecast by seasonal naive (too short or untrained)"
        )
    return PredictOutcome(
        frame=pd.concat(preview, ignore_index=True),
        rows=sink.rows,
        series=len(wanted),
        steps=horizon,
        path=target,
        run_dir=loaded.path,
        warnings=warnings,
    )


def _ranges(raw: Any, width: int) -> tuple[list[float], list[float]] | None:
    """The training range of each covariate from series.json (None for runs without it)."""
    try:
        low, high = [float(v) for v in raw["min"]], [float(v) for v in raw["max"]]
    except (KeyError, TypeError, ValueError):
        return None
    return (low, high) if len(low) == len(high) == width else None


def _outside_training(
    values: np.ndarray,
    ranges: tuple[list[float], list[float]] | None,
    past: int,
    names: tuple[str, ...],
    path: str | None,
) -> list[str]:
    """Warnings for known-ahead values (series, dates, columns) beyond what training saw."""
    if ranges is None or not values.size:
        return []
    out = []
    for c, name in enumerate(names):
        lo, hi = ranges[0][past + c], ranges[1][past + c]
        column = values[:, :, c]
        beyond = (column < lo) | (column > hi)
        if beyond.any():
            worst = float(column[beyond][np.argmax(np.abs(column[beyond] - (lo + hi) / 2))])
            out.append(
                f"{name} in {path} goes outside its training range [{lo:g}, {hi:g}] "
                f"({int(beyond.sum())} value(s), e.g. {worst:g}): the forecast extrapolates there"
            )
    return out


def _append_ahead(history: np.ndarray, ahead: np.ndarray) -> np.ndarray:
    """History covariates (rows, past + future) with known-ahead rows (horizon, future) below;
    the past columns of those rows are unknown (NaN, never read)."""
    past = history.shape[1] - ahead.shape[1]
    below = np.concatenate([np.full((len(ahead), past), np.nan), ahead], axis=1)
    return np.concatenate([history, below])


def _future_rows(
    future: pd.DataFrame,
    ids: list[str],
    last_pos: np.ndarray,
    horizon: int,
    lead: int,
    ds: dataset.Dataset,
    path: str | None,
) -> np.ndarray:
    """Each series' known-ahead values at the ``needed`` dates after its last observation,
    (series, needed, future); DataError naming the series and the dates that are missing.

    ``needed`` is ``horizon`` rounded up to whole model outputs: every pass of the network
    reads the values of all the dates its output layer covers."""
    needed = covariates.roll_extra(horizon, lead) + lead
    cols = [c for c in future.columns if c not in ("unique_id", "ds", "_line")]
    pos = grid.grid_positions(pd.DatetimeIndex(future["ds"]), ds.anchor, ds.freq)
    off = np.flatnonzero(pos == grid.OFF_GRID)
    if len(off):
        i = int(off[0])
        raise DataError(
            f"{path}: date {grid.fmt_date(future['ds'].iloc[i])} (line {future['_line'].iloc[i]}) "
            f"is not on the data's {ds.freq} grid"
        )
    shared = future["unique_id"].isna().all()  # no id column: the rows hold for every series
    keys = pd.MultiIndex.from_arrays(
        [np.zeros(len(pos), dtype=np.int64) if shared else future["unique_id"].astype(str).to_numpy(), pos]
    )
    if keys.has_duplicates:
        i = int(np.flatnonzero(keys.duplicated())[0])
        what = "" if shared else f"series '{future['unique_id'].iloc[i]}': "
        raise DataError(
            f"{path}: {what}duplicate date {grid.fmt_date(future['ds'].iloc[i])} "
            f"(line {future['_line'].iloc[i]}); give each date once"
        )
    steps = np.asarray(last_pos, dtype=np.int64)[:, None] + np.arange(1, needed + 1)  # (n, needed)
    who = np.repeat(np.zeros(len(ids), dtype=np.int64) if shared else np.array(ids, dtype=object), needed)
    found = keys.get_indexer(pd.MultiIndex.from_arrays([who, steps.ravel()])).reshape(steps.shape)
    grid_dates = pd.date_range(ds.anchor, periods=int(steps.max()) + 1, freq=ds.freq)
    for k in np.flatnonzero((found < 0).any(axis=1)):
        gone = steps[k][found[k] < 0]
        dates = ", ".join(grid.fmt_date(d) for d in grid_dates[gone[:6]]) + (", ..." if len(gone) > 6 else "")
        what = f"series '{ids[k]}' lacks" if ds.panel else "lacks"
        span = (
            f"the {horizon} forecast dates"
            if needed == horizon
            else f"the {needed} dates the model reads ({horizon} to forecast, rounded up to whole "
            f"outputs of {lead} steps)"
        )
        raise DataError(
            f"{path}: {what} {', '.join(cols)} for {len(gone)} of {span}: {dates}; add rows for them"
        )
    values = future[cols].to_numpy(dtype=np.float64)[found]  # (n, horizon, future)
    bad = ~np.isfinite(values)
    if bad.any():
        k, h, c = (int(v[0]) for v in np.nonzero(bad))
        line = future["_line"].iloc[found[k, h]]
        raise DataError(
            f"{path}: empty or non-finite value in column '{cols[c]}' at line {line} "
            f"(date {grid.fmt_date(grid_dates[steps[k, h]])}); the forecast needs it"
        )
    return values


def _forecast_frame(
    wanted: list[str],
    last_pos: np.ndarray,
    grid_dates: pd.DatetimeIndex,
    fmt: str,
    values: np.ndarray,
    use_model: np.ndarray,
    baseline: str = FALLBACK,
) -> pd.DataFrame:
    """Rows series,date,forecast,method with future dates taken from one shared grid."""
    horizon = values.shape[1]
    future = (last_pos[:, None] + np.arange(1, horizon + 1)).ravel()
    return pd.DataFrame(
        {
            "series": np.repeat(np.array(wanted, dtype=object), horizon),
            "date": grid_dates[future].strftime(fmt),
            "forecast": values.ravel(),
            "method": np.repeat(np.where(use_model, MODEL, baseline), horizon),
        }
    )


def _horizon_warnings(
    horizon: int, trained: int, output_size: int, lengths: np.ndarray, method: Method
) -> list[str]:
    """A horizon far past what the model was trained for, or longer than the history itself."""
    out = []
    if method is Method.model and horizon > 2 * trained:
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


def read_like_training(cfg: RunConfig, section: dict[str, Any], source: str) -> dataset.Dataset:
    """``source`` read with the run's columns and frequency (``cfg.data``), zone-aware dates as
    the training data's were read, nn/nn/yyyy dates in the order the training data's were read
    (``section``: config.json's checked ``data`` facts)."""
    if source == dataset.STDIN:  # the run was trained on standard input, which is gone
        raise UsageError(
            "the run was trained on standard input ('-'), which cannot be read again; "
            "give the data with --data FILE (or --data - and pipe it in)"
        )
    dayfirst = section["dayfirst"] if cfg.data.dayfirst is None else cfg.data.dayfirst
    read_cfg = dataclasses.replace(cfg.data, path=source, dayfirst=dayfirst, staged=None)
    ds = dataset.read(read_cfg, section["zone"])
    offsets = tuple(section["offsets"])
    check_zone(source, ds.zone, ds.offsets, section["zone"], offsets, "the training data")
    return ds


def _check_compatible(ds: dataset.Dataset, meta: dict[str, Any], ids: list[str]) -> None:
    unknown = sorted(set(map(str, ds.ids)) - set(ids))
    if unknown:
        raise DataError(
            f"{ds.path}: {len(unknown)} series the run was not trained on, e.g. {unknown[:5]}; "
            "predict with the series of the training data (or retrain)"
        )
    trained_last = pd.Timestamp(meta["data"]["trained_until"])
    if ds.dates.max() < trained_last:
        raise DataError(
            f"{ds.path}: ends {grid.fmt_date(ds.dates.max())}, before the model's training data ends "
            f"({grid.fmt_date(trained_last)}); predict from data at least as recent"
        )
