"""The data ``forecast predict`` forecasts from: the new file read the way the training data
was (``read_like_training``) and checked against the run (``check_compatible``), and the
known-ahead covariate rows of ``--future`` aligned to the dates each series' forecast reads
(``future_rows``, ``append_ahead``), with a warning where they leave the training range.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from forecast.core.config import RunConfig
from forecast.core.errors import DataError, UsageError
from forecast.data import dataset, grid
from forecast.data.cells import check_zone
from forecast.data.dates import fmt_date
from forecast.model import covariates

__all__ = ["read_like_training", "check_compatible", "future_rows", "append_ahead", "outside_training"]


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


def check_compatible(ds: dataset.Dataset, meta: dict[str, Any], ids: list[str]) -> None:
    """``ds`` holds only series the run was trained on and reaches at least as far in time."""
    unknown = sorted(set(map(str, ds.ids)) - set(ids))
    if unknown:
        raise DataError(
            f"{ds.path}: {len(unknown)} series the run was not trained on, e.g. {unknown[:5]}; "
            "predict with the series of the training data (or retrain)"
        )
    trained_last = pd.Timestamp(meta["data"]["trained_until"])
    if ds.dates.max() < trained_last:
        raise DataError(
            f"{ds.path}: ends {fmt_date(ds.dates.max())}, before the model's training data ends "
            f"({fmt_date(trained_last)}); predict from data at least as recent"
        )


def future_rows(
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

    ``needed`` is ``horizon`` rounded up to whole model outputs (``covariates.rolled_steps``):
    every pass of the network reads the values of all the dates its output layer covers."""
    needed = covariates.rolled_steps(horizon, lead)
    cols = [c for c in future.columns if c not in ("unique_id", "ds", "_line")]
    keys, shared = _future_keys(future, ds, path)
    steps = np.asarray(last_pos, dtype=np.int64)[:, None] + np.arange(1, needed + 1)  # (n, needed)
    who = np.repeat(np.zeros(len(ids), dtype=np.int64) if shared else np.array(ids, dtype=object), needed)
    found = keys.get_indexer(pd.MultiIndex.from_arrays([who, steps.ravel()])).reshape(steps.shape)
    grid_dates = pd.date_range(ds.anchor, periods=int(steps.max()) + 1, freq=ds.freq)
    for k in np.flatnonzero((found < 0).any(axis=1)):
        gone = steps[k][found[k] < 0]
        dates = ", ".join(fmt_date(d) for d in grid_dates[gone[:6]]) + (", ..." if len(gone) > 6 else "")
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
            f"(date {fmt_date(grid_dates[steps[k, h]])}); the forecast needs it"
        )
    return values


def _future_keys(future: pd.DataFrame, ds: dataset.Dataset, path: str | None) -> tuple[pd.MultiIndex, bool]:
    """(series, grid position) of each row of ``future``, and whether the rows hold for every
    series (no id column); DataError for a date off the data's grid or given twice."""
    pos = grid.grid_positions(pd.DatetimeIndex(future["ds"]), ds.anchor, ds.freq)
    off = np.flatnonzero(pos == grid.OFF_GRID)
    if len(off):
        i = int(off[0])
        raise DataError(
            f"{path}: date {fmt_date(future['ds'].iloc[i])} (line {future['_line'].iloc[i]}) "
            f"is not on the data's {ds.freq} grid"
        )
    shared = bool(future["unique_id"].isna().all())  # no id column: the rows hold for every series
    keys = pd.MultiIndex.from_arrays(
        [np.zeros(len(pos), dtype=np.int64) if shared else future["unique_id"].astype(str).to_numpy(), pos]
    )
    if keys.has_duplicates:
        i = int(np.flatnonzero(keys.duplicated())[0])
        what = "" if shared else f"series '{future['unique_id'].iloc[i]}': "
        raise DataError(
            f"{path}: {what}duplicate date {fmt_date(future['ds'].iloc[i])} "
            f"(line {future['_line'].iloc[i]}); give each date once"
        )
    return keys, shared


def append_ahead(history: np.ndarray, ahead: np.ndarray) -> np.ndarray:
    """History covariates (rows, past + future) with known-ahead rows (horizon, future) below;
    the past columns of those rows are unknown (NaN, never read)."""
    past = history.shape[1] - ahead.shape[1]
    below = np.concatenate([np.full((len(ahead), past), np.nan), ahead], axis=1)
    return np.concatenate([history, below])


def outside_training(
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
