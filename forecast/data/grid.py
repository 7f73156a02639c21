"""Frequency and grid checks on a long frame of one or many series.

``regularise`` takes rows (``unique_id``, ``ds``, ``y``, ``_line``) and returns them sorted,
on one regular grid per series, finite, with each row's position on the global grid
(steps since the earliest date of all series), or raises ``DataError`` naming the series,
the date and the file line of the first problem.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecast.core.config import Fill
from forecast.core.errors import DataError

__all__ = [
    "Regular",
    "regularise",
    "infer_freq",
    "season_length",
    "grid_positions",
    "anchored_freq",
    "OFF_GRID",
    "fmt_date",
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


def fmt_date(ts: object) -> str:
    """A date as YYYY-MM-DD, or with its time when it has one."""
    stamp = pd.Timestamp(ts)  # type: ignore[arg-type]
    return str(stamp.date()) if stamp == stamp.normalize() else str(stamp)


def _offset(freq: str, name: str) -> pd.DateOffset:
    try:
        offset = pd.tseries.frequencies.to_offset(freq)
    except (ValueError, TypeError) as exc:
        raise DataError(
            f"{name}: --freq {freq!r} is not a pandas frequency ({exc}); use e.g. MS, D, h"
        ) from None
    if offset.n <= 0:
        raise DataError(f"{name}: --freq {freq!r} does not step forward in time; use e.g. MS, D, h")
    return offset


def anchored_freq(freq: str, first: pd.Timestamp) -> str:
    """A family code from ``config.normalise_freq`` (``M``, ``2Q``, ``Y``, ``W``) as the pandas
    frequency the data mean: month start or end as ``first`` falls, years and quarters from
    ``first``'s month, weeks on ``first``'s weekday. Other frequencies are returned as they are."""
    import re

    match = re.fullmatch(r"(\d*)([MQYW])", freq)
    if match is None:
        return freq
    mult, base = match.groups()
    first = pd.Timestamp(first)
    if base == "W":
        return f"{mult}W-{first.strftime('%a').upper()}"
    edge = "E" if first.is_month_end and not first.is_month_start else "S"
    if base == "M":
        return f"{mult}M{edge}"
    return f"{mult}{base}{edge}-{first.strftime('%b').upper()}"


def _grid_size(first: pd.Timestamp, last: pd.Timestamp, offset: pd.DateOffset) -> float:
    """About how many dates the grid from first to last holds, without building it."""
    anchor = pd.Timestamp("2000-01-03")  # a Monday: one step of B, W or MS is about its usual length
    return (last - first) / (anchor + offset - anchor) + 1


def infer_freq(dates: pd.DatetimeIndex, name: str) -> str:
    """pandas' inference, else the coarsest calendar grid that holds every date (gaps allowed)."""
    if len(dates) < 3:
        raise DataError(
            f"{name}: {len(dates)} data row(s); need at least 3 to infer a frequency (or give --freq)"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas 3 announces a change of return type
        freq = pd.infer_freq(dates)
    if freq:
        return getattr(freq, "freqstr", freq)
    month, day = dates[0].strftime("%b").upper(), dates[0].strftime("%a").upper()
    candidates = [f"YS-{month}", f"YE-{month}", f"QS-{month}", f"QE-{month}", "MS", "ME", f"W-{day}"]
    candidates += ["D", "B", "h", "min", "s"]
    step = pd.Timedelta(int(np.min(np.diff(dates.asi8))), unit=dates.unit)
    best: tuple[int, str] | None = None
    for cand in [*candidates, step]:
        try:
            offset = pd.tseries.frequencies.to_offset(cand)
            if _grid_size(dates[0], dates[-1], offset) > 20 * len(dates) + 100:
                continue
            grid = pd.date_range(dates[0], dates[-1], freq=offset)
        except (ValueError, OverflowError):  # a step too long for nanoseconds
            continue
        if dates.isin(grid).all() and (best is None or len(grid) < best[0]):
            best = (len(grid), offset.freqstr)
    if best is None:
        raise DataError(
            f"{name}: dates are not regularly spaced (no frequency fits them); "
            "give one with --freq (e.g. MS, D, W-SUN, h)"
        )
    return best[1]


def grid_positions(ds: pd.DatetimeIndex | pd.Series, anchor: pd.Timestamp, freq: str) -> np.ndarray:
    """Steps from ``anchor`` to each date on the ``freq`` grid; ``OFF_GRID`` where a date is off it.

    Dates before the anchor get negative positions (counted back from it).
    """
    codes, dates = pd.factorize(pd.DatetimeIndex(ds))  # a panel repeats its dates: place each once
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


def _series_label(uid: object, panel: bool) -> str:
    return f"series '{uid}': " if panel else ""


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
    codes, ds = rows["unique_id"].cat.codes.to_numpy(), rows["ds"].to_numpy()
    same = codes[1:] == codes[:-1]
    if not ((codes[1:] > codes[:-1]) | (same & (ds[1:] >= ds[:-1]))).all():
        if not panel or not _sorted_within(rows):
            notes.append(f"{name}: dates were not in order; sorted them")
        order = np.lexsort((ds, codes))
        rows = rows.iloc[order].reset_index(drop=True)
        codes, ds = rows["unique_id"].cat.codes.to_numpy(), rows["ds"].to_numpy()
        same = codes[1:] == codes[:-1]
    names = rows["unique_id"].cat.categories
    uid = _Labels(codes, names)
    dup = np.r_[False, same & (ds[1:] == ds[:-1])]
    if dup.any():
        i = int(dup.argmax())
        raise DataError(
            f"{name}: {_series_label(uid[i], panel)}duplicate date {fmt_date(ds[i])} in column '{date_col}' "
            f"(line {rows['_line'].iloc[i]}); each date must appear once per series"
            + (
                ""
                if panel
                else f" (several series in one file? name their id column with --id-col {id_hint or 'COL'})"
            )
        )
    starts = np.flatnonzero(np.r_[True, ~same])
    ends = np.r_[starts[1:], len(codes)]
    if freq is None:
        freq = _shared_freq(ds, uid, starts, ends, name)
    freq = anchored_freq(freq, pd.Timestamp(ds.min()))
    offset = _offset(freq, name)
    first, last = pd.Timestamp(ds.min()), pd.Timestamp(ds.max())
    size = _grid_size(first, last, offset)
    if size > _MAX_GRID:
        raise DataError(
            f"{name}: {fmt_date(first)} to {fmt_date(last)} spans about {size:.3g} {freq} steps; "
            f"at most {_MAX_GRID:,} fit. Check --freq or the dates"
        )
    anchor = first  # position 0: the earliest date of all series
    if not offset.is_on_offset(anchor):
        i = int(np.argmax(ds == ds.min()))
        raise DataError(
            f"{name}: {_series_label(uid[i], panel)}date {fmt_date(anchor)} (line {rows['_line'].iloc[i]}) "
            f"is not on the {freq} grid; check --freq or the dates"
        )
    pos = grid_positions(pd.DatetimeIndex(ds), anchor, freq)
    if (pos == OFF_GRID).any():
        _off_grid_error(rows, pos, starts, ends, freq, name, panel)
    rows = rows.assign(_pos=pos)
    for col, label in numeric.items():
        inf = np.isinf(rows[col].to_numpy())
        if inf.any():
            i = int(inf.argmax())
            if fill is Fill.none:
                raise DataError(
                    f"{name}: {_series_label(uid[i], panel)}infinite value in column '{label}' at line "
                    f"{rows['_line'].iloc[i]} (date {fmt_date(ds[i])}); fix it or repair with --fill"
                )
            rows.loc[inf, col] = np.nan
    rows = _complete(rows, starts, ends, freq, anchor, fill, name, numeric, panel, notes)
    positions = rows.pop("_pos").to_numpy(dtype=np.int64)
    return Regular(rows[["unique_id", "ds", *numeric]], freq, anchor, positions, notes)


def _shared_freq(ds: np.ndarray, uid: _Labels, starts: np.ndarray, ends: np.ndarray, name: str) -> str:
    """The frequency of the longest series, checked against up to 20 others spread over the panel."""
    lengths = ends - starts
    longest = int(np.argmax(lengths))
    freq = infer_freq(pd.DatetimeIndex(ds[starts[longest] : ends[longest]]), name)
    for k in np.unique(np.linspace(0, len(starts) - 1, min(len(starts), 20)).astype(int)):
        if k == longest or lengths[k] < 3:
            continue
        try:
            own = infer_freq(pd.DatetimeIndex(ds[starts[k] : ends[k]]), name)
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
    uid, ds = rows["unique_id"].iloc[i], rows["ds"].iloc[i]
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
        f"{name}: {_series_label(uid, panel)}date {fmt_date(ds)} (line {rows['_line'].iloc[i]}) is not "
        f"on the {freq} grid; check --freq or the dates"
    )


def _complete(
    rows: pd.DataFrame,
    starts: np.ndarray,
    ends: np.ndarray,
    freq: str,
    anchor: pd.Timestamp,
    fill: Fill,
    name: str,
    numeric: dict[str, str],
    panel: bool,
    notes: list[str],
) -> pd.DataFrame:
    """Every series made gap-free from its first to its last date; NaN refused or filled.

    ``numeric`` maps the frame's number columns (``y`` and covariates) to their file names."""
    pos = rows["_pos"].to_numpy()
    first, last = pos[starts], pos[ends - 1]
    lengths = last - first + 1
    full_len = int(lengths.sum())
    gaps = full_len - len(rows)
    if gaps and fill is Fill.none:
        steps = np.diff(pos)
        jump = np.flatnonzero((steps > 1) & np.isin(np.arange(1, len(pos)), starts, invert=True))
        i = int(jump[0])
        missing = pd.date_range(rows["ds"].iloc[i], periods=2, freq=freq)[1]
        raise DataError(
            f"{name}: {_series_label(rows['unique_id'].iloc[i], panel)}gap in the {freq} series: "
            f"{gaps} missing date(s), first {fmt_date(missing)}; fill with --fill ffill|interpolate|zero"
        )
    any_nan = False
    for col, label in numeric.items():
        nan = rows[col].isna().to_numpy()
        any_nan = any_nan or bool(nan.any())
        if nan.any() and fill is Fill.none:
            i = int(nan.argmax())
            raise DataError(
                f"{name}: {_series_label(rows['unique_id'].iloc[i], panel)}empty or NaN value in column "
                f"'{label}' at line {rows['_line'].iloc[i]} (date {fmt_date(rows['ds'].iloc[i])}); "
                "fill with --fill ffill|interpolate|zero"
            )
    if not gaps and not any_nan:
        return rows
    # rebuild each series on its full grid, then fill inside each series only
    sid = np.repeat(np.arange(len(starts)), lengths)
    full_pos = (
        np.arange(full_len) - np.repeat(np.cumsum(lengths) - lengths, lengths) + np.repeat(first, lengths)
    )
    slot = np.repeat(np.cumsum(lengths) - lengths, ends - starts) + (pos - np.repeat(first, ends - starts))
    uid = rows["unique_id"]
    ids = pd.Categorical.from_codes(uid.cat.codes.to_numpy()[starts][sid], uid.cat.categories)
    grid = pd.date_range(anchor, periods=int(full_pos.max()) + 1, freq=freq)
    full = pd.DataFrame({"unique_id": ids, "ds": grid[full_pos], "_pos": full_pos})
    repaired = 0
    for col, label in numeric.items():
        values = np.full(full_len, np.nan)
        values[slot] = rows[col].to_numpy()
        repaired += int(np.isnan(values).sum())
        full[col] = _fill(full.assign(_v=values), fill)
        if full[col].isna().any():
            bad = full.loc[full[col].isna(), "unique_id"].iloc[0]
            raise DataError(f"{name}: {_series_label(bad, panel)}holds no finite number in column '{label}'")
    notes.append(f"{name}: filled {repaired} missing value(s) with --fill {fill.value}")
    return full


def _fill(full: pd.DataFrame, fill: Fill) -> pd.Series:
    """Fill NaN in column ``_v`` within each series: forward then backward, linear, or zero."""
    if fill is Fill.zero:
        return full["_v"].fillna(0.0)
    groups = full.groupby("unique_id", sort=False)["_v"]
    if fill is Fill.ffill:
        out = groups.ffill()
        return out.fillna(out.groupby(full["unique_id"], sort=False).bfill())
    return groups.transform(lambda s: s.interpolate(method="linear", limit_direction="both"))


_SEASONS = {
    "Y": 1, "A": 1, "Q": 4, "M": 12, "W": 52, "D": 7, "B": 5, "C": 5, "h": 24, "H": 24,
    "min": 60, "T": 60, "s": 60, "S": 60, "SM": 24, "BM": 12, "CBM": 12, "BQ": 4, "BY": 1, "BA": 1,
}  # fmt: skip


_DAY_MAX = 288  # sub-hourly steps: the daily cycle as the season up to 288 steps (5 minutes)


def season_length(freq: str) -> int:
    """Seasonal period implied by a frequency: 12 for monthly, 4 quarterly, 7 daily, 24 hourly.

    Multiples of an hour or a minute take the day as their season when it is a whole number
    of steps: 12 for 2h, 48 for 30min, 96 for 15min, 288 for 5min; finer than that (a day of
    more than 288 steps) the hour: 60 for 1min, 30 for 2min. Other multiples (2D, 7h) have none.
    """
    offset = pd.tseries.frequencies.to_offset(freq)
    base = offset.rule_code.split("-")[0]
    n = offset.n
    if n != 1 or base in ("min", "T"):
        step = pd.Timedelta(offset) if base in ("h", "H", "min", "T", "s", "S") else None
        if step is None or step <= pd.Timedelta(0):
            return 1  # e.g. 2D, 3MS: no standard season; pass --season
        for cycle in (pd.Timedelta(days=1), pd.Timedelta(hours=1), pd.Timedelta(minutes=1)):
            steps, rest = divmod(cycle, step)
            if rest == pd.Timedelta(0) and 1 < steps <= _DAY_MAX:
                return int(steps)
        return 1
    for prefix in sorted(_SEASONS, key=len, reverse=True):
        if base.startswith(prefix):
            return _SEASONS[prefix]
    return 1


def season_phase(anchor: pd.Timestamp, freq: str, season: int) -> int:
    """The slot of ``anchor`` in its season: month of year, quarter, weekday, hour, ... (0-based).

    With grid positions counted from ``anchor``, ``(position + phase) % season`` is the
    calendar slot of any date; 0 where the season is not a calendar one (``--season``).
    """
    offset = pd.tseries.frequencies.to_offset(freq)
    base = offset.rule_code.split("-")[0]
    if season > 1 and season_length(freq) == season and (offset.n != 1 or base in ("min", "T")):
        step = pd.Timedelta(offset)  # a clock cycle (day, hour, minute) of ``season`` steps
        anchor = pd.Timestamp(anchor)
        return int((anchor - anchor.floor(step * season)) // step) % season
    slots = {
        12: lambda t: t.month - 1,
        4: lambda t: (t.month - 1) // 3,
        52: lambda t: min(int(t.isocalendar()[1]), 52) - 1,
        7: lambda t: t.day_of_week,
        5: lambda t: min(t.day_of_week, 4),
        24: lambda t: t.hour if base[:1] in ("h", "H") else t.day - 1 if base == "SM" else 0,
        60: lambda t: t.minute if base in ("min", "T") else t.second,
    }
    if season_length(freq) != season or season not in slots:
        return 0
    return int(slots[season](pd.Timestamp(anchor))) % season


def describe(rows: pd.DataFrame, freq: str, need: int) -> pd.DataFrame:
    """Per series: rows, first/last date, NaN or inf cells, duplicate dates, missing grid dates,
    and whether it is shorter than ``need`` (lookback + horizon) on its grid.

    Vectorised over the panel; only series with dates off the grid count their span alone.
    """
    codes, ds = rows["unique_id"].cat.codes.to_numpy(), rows["ds"].to_numpy()
    order = np.lexsort((ds, codes))
    codes, ds, y = codes[order], ds[order], rows["y"].to_numpy(dtype=np.float64)[order]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    ends = np.r_[starts[1:], len(codes)]
    dup = np.r_[False, (codes[1:] == codes[:-1]) & (ds[1:] == ds[:-1])]
    unique = (ends - starts) - np.add.reduceat(dup, starts)
    first, last = pd.DatetimeIndex(ds[starts]), pd.DatetimeIndex(ds[ends - 1])
    try:
        pos = grid_positions(pd.DatetimeIndex(ds), pd.Timestamp(ds.min()), freq)
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
