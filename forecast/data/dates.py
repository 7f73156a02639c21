"""How dates are written, in one rule: the date alone when it is at midnight, else with its
time. ``fmt_date`` writes one timestamp in a message; ``date_format``/``date_text`` write a
column of dates (one format for the whole column: the time shows when any date has one).
"""

from __future__ import annotations

import pandas as pd

__all__ = ["DATE", "DATE_TIME", "at_midnight", "fmt_date", "date_format", "date_text"]

DATE = "%Y-%m-%d"
DATE_TIME = "%Y-%m-%d %H:%M:%S"


def at_midnight(dates: pd.DatetimeIndex) -> bool:
    """True when every date is at midnight: they are written as dates alone."""
    return bool((dates == dates.normalize()).all())


def fmt_date(ts: object) -> str:
    """One date for a message: YYYY-MM-DD, or with its time (and any fraction) when it has one."""
    stamp = pd.Timestamp(ts)  # type: ignore[arg-type]
    return str(stamp.date()) if at_midnight(pd.DatetimeIndex([stamp])) else str(stamp)


def date_format(dates: pd.DatetimeIndex) -> str:
    """The strftime format of a column of ``dates``: dates alone where every one is midnight."""
    return DATE if at_midnight(dates) else DATE_TIME


def date_text(dates: pd.DatetimeIndex, fmt: str | None = None) -> pd.Index:
    """Dates as text in ``fmt``, by default the format these dates need (``date_format``)."""
    return dates.strftime(fmt or date_format(dates))
