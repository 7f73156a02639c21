"""Frequencies and seasons: a pandas frequency inferred from dates (or read from ``--freq`` and
placed on the data's first date), how many steps a span holds, the season a frequency implies
(12 for monthly, 7 daily, ...) and a date's slot in that season.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd

from forecast.core.errors import DataError

__all__ = [
    "parse_offset",
    "anchored_freq",
    "grid_size",
    "infer_freq",
    "season_length",
    "season_phase",
]


def parse_offset(freq: str, name: str) -> pd.DateOffset:
    """``freq`` as a pandas offset that steps forward, or a ``DataError`` naming the file."""
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


def grid_size(first: pd.Timestamp, last: pd.Timestamp, offset: pd.DateOffset) -> float:
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
            if grid_size(dates[0], dates[-1], offset) > 20 * len(dates) + 100:
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
