"""The data ``forecast predict`` forecasts from: the new file read the way the training data
was (``read_like_training``) and checked against the run (``check_compatible``), the series
chosen and placed on the run's grid, with transforms fitted for those it never saw
(``select``, ``Selection``; ``workflows.unseen``), and the
known-ahead covariate rows of ``--future`` aligned to the dates each series' forecast reads
(``future_rows``, ``append_ahead``), with a warning where they leave the training range.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from forecast.core.choices import Method
from forecast.core.config import RunConfig
from forecast.core.errors import DataError, UsageError
from forecast.data import dataset, grid
from forecast.data.cells import check_zone
from forecast.data.dates import fmt_date
from forecast.model import covariates
from forecast.model.covariates import CovariateScale
from forecast.model.transforms import SeriesTransform
from forecast.workflows.save import FALLBACK, MODEL
from forecast.workflows.saved_run import LoadedRun
from forecast.workflows.unseen import UNSEEN, fit_unseen

__all__ = [
    "Selection",
    "select",
    "read_like_training",
    "check_compatible",
    "future_rows",
    "append_ahead",
    "outside_training",
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
    try:
        ds = dataset.read(read_cfg, section["zone"])
    except DataError as exc:  # predict has no --fill: the run decides how gaps are read
        text, cut = str(exc), str(exc).find("; fill with --fill")
        if cut < 0:
            raise
        raise DataError(
            f"{text[:cut]}; the run was trained with --fill {cfg.data.fill.value}: repair the file, "
            "or retrain with --fill ffill|interpolate|zero|mask"
        ) from None
    offsets = tuple(section["offsets"])
    check_zone(source, ds.zone, ds.offsets, section["zone"], offsets, "the training data")
    return ds


def check_compatible(ds: dataset.Dataset, meta: dict[str, Any], seen: np.ndarray) -> None:
    """The series of ``ds`` the run was trained on (``seen``: a mask over them) reach at least
    as far in time as its training data. Series it never saw may end anywhere."""
    if not seen.any():
        return
    ends = ds.dates[ds.indptr[1:][seen] - 1]
    trained_last = pd.Timestamp(meta["data"]["trained_until"])
    if ends.max() < trained_last:
        raise DataError(
            f"{ds.path}: ends {fmt_date(ends.max())}, before the model's training data ends "
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


@dataclass
class Selection:
    """The series predict forecasts, where they sit, and how each one is forecast."""

    ds: dataset.Dataset
    wanted: list[str]  # series ids, in file order (those of --series only)
    index: np.ndarray  # each one's series number in ``ds``
    lengths: np.ndarray  # its number of observations
    firsts: np.ndarray  # the position of its first value on the run's grid (the training anchor)
    last_pos: np.ndarray  # the position of its last value on the data's grid
    run_index: np.ndarray  # its series number in the run
    use_model: np.ndarray  # bool: the network forecasts it, else its ``baseline`` method does
    baseline: np.ndarray  # per series: the statistical method or baseline used where the network is not
    values: np.ndarray  # ``ds.values`` and, for runs with covariates, ``ds.covariates``: built once
    covs: np.ndarray | None
    unseen: np.ndarray  # bool: not in the run (cold start); ``run_index`` numbers them after its own
    transforms: list[SeriesTransform]  # by ``run_index``: the run's, then the unseen series'
    scales: list[CovariateScale]  # likewise, for runs with covariates
    warnings: list[str] = field(default_factory=list)

    @property
    def methods(self) -> np.ndarray:
        """The method column of each series."""
        model = np.where(self.unseen, UNSEEN, MODEL)
        return np.where(self.use_model, model, self.baseline)


def select(loaded: LoadedRun, source: str, only: list[str] | None, method: Method) -> Selection:
    """Read ``source`` as the training data was, keep the series of ``only`` (all by default),
    place them on the run's grid, and choose the model or a baseline for each; series the run
    never saw get transforms fitted on their own history (``workflows.unseen``)."""
    meta, w = loaded.meta, loaded.config.window
    # the run's columns and frequency: a file that differs fails with what differs
    ds = read_like_training(loaded.config, meta["data"], source)
    known = {uid: k for k, uid in enumerate(loaded.ids)}
    check_compatible(ds, meta, np.array([str(u) in known for u in ds.ids], dtype=bool))
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
    unseen = np.array([u not in known for u in wanted], dtype=bool)
    fresh = np.flatnonzero(unseen)  # numbered after the run's series: len(ids), len(ids) + 1, ...
    run_index = np.array([known.get(u, -1) for u in wanted], dtype=np.int64)
    run_index[fresh] = len(loaded.ids) + np.arange(len(fresh))
    lengths = np.diff(ds.indptr)[index]
    per = np.array([(loaded.methods + [MODEL] * len(fresh))[k] for k in run_index], dtype=object)
    can = np.array([(loaded.network + [True] * len(fresh))[k] for k in run_index], dtype=bool)
    can &= lengths >= w.lookback
    use_model = can & (per == MODEL) if method is Method.auto else can
    baseline = np.where(per == MODEL, FALLBACK, per) if method is Method.auto else np.full(len(per), FALLBACK)
    covs = ds.covariates if loaded.scales else None  # (rows, covariates)
    sel = Selection(
        ds, wanted, index, lengths, ds.positions[ds.indptr[index]] + shift,
        ds.positions[ds.indptr[index + 1] - 1], run_index, use_model, baseline.astype(object), ds.values, covs,
        unseen, list(loaded.transforms), list(loaded.scales),
    )  # fmt: skip
    if method not in (Method.auto, Method.model):
        sel.baseline[:], sel.use_model[:] = method.value, False
    elif len(fresh):
        _fit_unseen(loaded, sel, fresh, shift)
    network = method is Method.model or per[0] == MODEL
    if network and not ds.panel and not unseen[0] and not loaded.network[run_index[0]]:
        raise UsageError(
            f"{loaded.path}: trained no network on '{wanted[0]}' (too short for it when it was "
            f"trained): --method auto forecasts it with its '{per[0]}' method"
        )
    if network and not ds.panel and not unseen[0] and not sel.use_model[0]:
        raise DataError(f"{source}: has {lengths[0]} rows; the model needs the last {w.lookback}")
    return sel


def _fit_unseen(loaded: LoadedRun, sel: Selection, fresh: np.ndarray, shift: int) -> None:
    """Fit the transforms (and covariate scales) of the selection's unseen series ``fresh``
    and leave to the fallback those the network cannot read."""
    ds = sel.ds
    slices = [ds.rows(int(sel.index[i])) for i in fresh]
    trained = [t for t, n in zip(loaded.transforms, loaded.network) if n]
    found = fit_unseen(
        loaded.config, trained, loaded.log_step, [sel.wanted[i] for i in fresh],
        [sel.values[r] for r in slices], [ds.positions[r] + shift for r in slices],
        None if sel.covs is None else [sel.covs[r] for r in slices],
    )  # fmt: skip
    sel.transforms += found.transforms
    sel.scales += found.scales
    sel.use_model[fresh] &= found.usable
    sel.warnings += found.warnings
