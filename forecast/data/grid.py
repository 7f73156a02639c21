"""The regular grid of a long frame of one or many series.

``regularise`` takes rows (``unique_id``, ``ds``, ``y``, ``_line``) and returns them sorted,
on one regular grid per series, finite, with each row's position on the global grid
(steps since the earliest date of all series), or raises ``DataError`` naming the series,
the date and the file line of the first problem (gaps and empty cells: ``data.gaps``).
``grid_positions`` places dates on a grid;
``describe`` summarises each series for ``forecast validate``. Frequencies and seasons live
in ``data.frequency``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecast.core.choices import Fill
from forecast.core.errors import DataError
from forecast.data.dates import fmt_date
from forecast.data.frequency import anchored_freq, grid_size, infer_freq, parse_offset
from forecast.data.gaps import complete, series_label

__all__ = [
    "Regular",
    "regularise",
    "grid_positions",
    "OFF_GRID",
    "describe",
]

OFF_GRID = np.iinfo(np.int64).min
_MAX_GRID = 5_000_000  # dates on one regular grid; more means a wrong --freq or a stray date


@dataclass
class Regular:
    """Validated rows plus the grid they sit on."""

    frame: pd.DataFrame  # unique_id, ds, y, sorted by series then date
    freq: str
    anchor: pd.Timestamp  # position 0
    positions: np.ndarray  # int64 per row: steps since ``anchor``
    notes: list[str] = field(default_factory=list)


def grid_positions(when: pd.DatetimeIndex | pd.Series, anchor: pd.Timestamp, freq: str) -> np.ndarray:
    """Steps from ``anchor`` to each date on the ``freq`` grid; ``OFF_GRID`` where a date is off it.

    Dates before the anchor get negative positions (counted back from it).
    """
    codes, dates = pd.factorize(pd.DatetimeIndex(when))  # a panel repeats its dates: place each once
    if len(dates) == 0:
        return np.empty(0, dtype=np.int64)
    lo, hi = min(dates.min(), anchor), max(dates.max(), anchor)
    back = pd.date_range(end=anchor, start=lo, freq=freq) if lo < anchor else pd.DatetimeIndex([])
    start = back[0] if len(back) else anchor
    grid = pd.date_range(start, hi, freq=freq)
    offset = int(grid.get_indexer([anchor])[0])
    if offset < 0:
        raise DataError(f"the anchor date {fmt_date(anchor)} is not on the {freq} grid")
    pos = grid.get_indexer(dates).astype(np.int64)
    return np.where(pos >= 0, pos - offset, OFF_GRID)[codes]


class _Labels:
    """Series names by row, looked up from categorical codes only when a message needs one."""

    def __init__(self, codes: np.ndarray, names: pd.Index) -> None:
        self.codes, self.names = codes, names

    def __getitem__(self, i: int) -> object:
        return self.names[self.codes[i]]


def regularise(
    rows: pd.DataFrame,
    freq: str | None,
    fill: Fill,
    name: str,
    cols: tuple[str, str],
    panel: bool,
    covariates: tuple[str, ...] = (),
    id_hint: str | None = None,
) -> Regular:
    """Sort, check duplicates, infer the shared frequency, check gaps, NaN and inf; fill if asked.

    ``covariates`` name the extra columns ``_x0``, ``_x1``... that ride along with ``y``:
    they are checked and filled the same way. ``id_hint`` names the column a duplicate date
    in one series suggests as ``--id-col``.
    """
    date_col, value_col = cols
    numeric = {"y": value_col, **{f"_x{i}": c for i, c in enumerate(covariates)}}
    notes: list[str] = []
    rows = _sorted(rows, panel, name, notes)
    codes, dates = rows["unique_id"].cat.codes.to_numpy(), rows["ds"].to_numpy()
    same = codes[1:] == codes[:-1]  # row i + 1 continues the series of row i
    uid = _Labels(codes, rows["unique_id"].cat.categories)
    _refuse_duplicates(rows, dates, same, uid, name, date_col, panel, id_hint)
    starts = np.flatnonzero(np.r_[True, ~same])
    ends = np.r_[starts[1:], len(codes)]
    freq, anchor = _grid_of(rows, dates, uid, starts, ends, freq, name, panel)
    pos = grid_positions(pd.DatetimeIndex(dates), anchor, freq)
    if (pos == OFF_GRID).any():
        _off_grid_error(rows, pos, starts, ends, freq, name, panel)
    rows = _no_infinity(rows.assign(_pos=pos), dates, numeric, fill, uid, name, panel)
    rows = complete(rows, starts, ends, freq, anchor, fill, name, numeric, panel, notes)
    positions = rows.pop("_pos").to_numpy(dtype=np.int64)
    return Regular(rows[["unique_id", "ds", *numeric]], freq, anchor, positions, notes)


def _sorted(rows: pd.DataFrame, panel: bool, name: str, notes: list[str]) -> pd.DataFrame:
    """Rows by series, then date (a note when a series' own dates were out of order)."""
    codes, dates = rows["unique_id"].cat.codes.to_numpy(), rows["ds"].to_numpy()
    same = codes[1:] == codes[:-1]
    if ((codes[1:] > codes[:-1]) | (same & (dates[1:] >= dates[:-1]))).all():
        return rows
    if not panel or not _sorted_within(rows):
        notes.append(f"{name}: dates were not in order; sorted them")
    return rows.iloc[np.lexsort((dates, codes))].reset_index(drop=True)


def _refuse_duplicates(
    rows: pd.DataFrame,
    dates: np.ndarray,
    same: np.ndarray,
    uid: _Labels,
    name: str,
    date_col: str,
    panel: bool,
    id_hint: str | None,
) -> None:
    """A date twice in one series is an error (in one series: maybe several series in the file)."""
    dup = np.r_[False, same & (dates[1:] == dates[:-1])]
    if not dup.any():
        return
    i = int(dup.argmax())
    raise DataError(
        f"{name}: {series_label(uid[i], panel)}duplicate date {fmt_date(dates[i])} in column '{date_col}' "
        f"(line {rows['_line'].iloc[i]}); each date must appear once per series"
        + (
            ""
            if panel
            else f" (several series in one file? name their id column with --id-col {id_hint or 'COL'})"
        )
    )


def _grid_of(
    rows: pd.DataFrame,
    dates: np.ndarray,
    uid: _Labels,
    starts: np.ndarray,
    ends: np.ndarray,
    freq: str | None,
    name: str,
    panel: bool,
) -> tuple[str, pd.Timestamp]:
    """The shared frequency (inferred when not given) and the anchor of the grid: the earliest
    date of all series, which must be on it; the grid must not be absurdly long."""
    if freq is None:
        freq = _shared_freq(dates, uid, starts, ends, name)
    first, last = pd.Timestamp(dates.min()), pd.Timestamp(dates.max())
    freq = anchored_freq(freq, first)
    offset = parse_offset(freq, name)
    size = grid_size(first, last, offset)
    if size > _MAX_GRID:
        raise DataError(
            f"{name}: {fmt_date(first)} to {fmt_date(last)} spans about {size:.3g} {freq} steps; "
            f"at most {_MAX_GRID:,} fit. Check --freq or the dates"
        )
    if not offset.is_on_offset(first):
        i = int(np.argmax(dates == dates.min()))
        raise DataError(
            f"{name}: {series_label(uid[i], panel)}date {fmt_date(first)} (line {rows['_line'].iloc[i]}) "
            f"is not on the {freq} grid; check --freq or the dates"
        )
    return freq, first


def _no_infinity(
    rows: pd.DataFrame,
    dates: np.ndarray,
    numeric: dict[str, str],
    fill: Fill,
    uid: _Labels,
    name: str,
    panel: bool,
) -> pd.DataFrame:
    """Infinite values refused, or turned into NaN for ``--fill`` to repair."""
    for col, label in numeric.items():
        inf = np.isinf(rows[col].to_numpy())
        if inf.any():
            i = int(inf.argmax())
            if fill is Fill.none:
                raise DataError(
                    f"{name}: {series_label(uid[i], panel)}infinite value in column '{label}' at line "
                    f"{rows['_line'].iloc[i]} (date {fmt_date(dates[i])}); fix it or repair with --fill"
                )
            rows.loc[inf, col] = np.nan
    return rows


def _shared_freq(dates: np.ndarray, uid: _Labels, starts: np.ndarray, ends: np.ndarray, name: str) -> str:
    """The frequency of the longest series, checked against up to 20 others spread over the panel."""
    lengths = ends - starts
    longest = int(np.argmax(lengths))
    freq = infer_freq(pd.DatetimeIndex(dates[starts[longest] : ends[longest]]), name)
    for k in np.unique(np.linspace(0, len(starts) - 1, min(len(starts), 20)).astype(int)):
        if k == longest or lengths[k] < 3:
            continue
        try:
            own = infer_freq(pd.DatetimeIndex(dates[starts[k] : ends[k]]), name)
        except DataError:
            continue  # its own problem (gaps, irregular) is reported by the grid checks
        if own != freq:
            raise DataError(
                f"{name}: series '{uid[starts[k]]}' has frequency {own} but series '{uid[starts[longest]]}' "
                f"has {freq}; all series must share one frequency (split the file or resample)"
            )
    return freq


def _sorted_within(rows: pd.DataFrame) -> bool:
    """True when each series' dates are ascending (only the series order differs)."""
    return bool(rows.groupby("unique_id", sort=False)["ds"].is_monotonic_increasing.all())


def _off_grid_error(
    rows: pd.DataFrame,
    pos: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    freq: str,
    name: str,
    panel: bool,
) -> None:
    i = int((pos == OFF_GRID).argmax())
    uid, date = rows["unique_id"].iloc[i], rows["ds"].iloc[i]
    if panel:
        k = int(np.searchsorted(starts, i, side="right") - 1)
        dates = pd.DatetimeIndex(rows["ds"].iloc[starts[k] : ends[k]])
        try:
            own = infer_freq(dates, name)
        except DataError:
            own = None
        if own is not None and own != freq:
            ref = rows["unique_id"].iloc[0] if rows["unique_id"].iloc[0] != uid else "the others"
            raise DataError(
                f"{name}: series '{uid}' has frequency {own} but series '{ref}' has {freq}; "
                "all series must share one frequency (split the file or resample)"
            )
    raise DataError(
        f"{name}: {series_label(uid, panel)}date {fmt_date(date)} (line {rows['_line'].iloc[i]}) is not "
        f"on the {freq} grid; check --freq or the dates"
    )


def describe(rows: pd.DataFrame, freq: str, need: int) -> pd.DataFrame:
    """Per series: rows, first/last date, NaN or inf cells, duplicate dates, missing grid dates,
    and whether it is shorter than ``need`` (lookback + horizon) on its grid.

    Vectorised over the panel; only series with dates off the grid count their span alone.
    """
    codes, dates = rows["unique_id"].cat.codes.to_numpy(), rows["ds"].to_numpy()
    order = np.lexsort((dates, codes))
    codes, dates, y = codes[order], dates[order], rows["y"].to_numpy(dtype=np.float64)[order]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    ends = np.r_[starts[1:], len(codes)]
    dup = np.r_[False, (codes[1:] == codes[:-1]) & (dates[1:] == dates[:-1])]
    unique = (ends - starts) - np.add.reduceat(dup, starts)
    first, last = pd.DatetimeIndex(dates[starts]), pd.DatetimeIndex(dates[ends - 1])
    try:
        pos = grid_positions(pd.DatetimeIndex(dates), pd.Timestamp(dates.min()), freq)
        lo, hi = pos[starts], pos[ends - 1]
        span = np.where((lo == OFF_GRID) | (hi == OFF_GRID), -1, hi - lo + 1)
    except DataError:  # the earliest date is itself off the grid
        span = np.full(len(starts), -1)
    for k in np.flatnonzero(span < 0):
        span[k] = len(pd.date_range(first[k], last[k], freq=freq))
    return pd.DataFrame(
        {
            "series": np.asarray(rows["unique_id"].cat.categories, dtype=object)[codes[starts]].astype(str),
            "rows": ends - starts,
            "first_date": [fmt_date(d) for d in first],
            "last_date": [fmt_date(d) for d in last],
            "nan": np.add.reduceat(~np.isfinite(y), starts).astype(int),
            "duplicate_dates": (ends - starts) - unique,
            "gaps": np.maximum(span - unique, 0),
            "too_short": span < need,
        }
    )
