"""Read a CSV into a validated long frame (``unique_id``, ``ds``, ``y``) and write outputs.

Every problem raises ``DataError`` naming the file, the column and the first bad line or
date, with the flag that fixes it. Line numbers are the file's own (the header is line 1).
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.config import DataConfig, Fill
from forecast.errors import DataError

__all__ = ["Dataset", "read", "file_sha256", "season_length", "future_dates", "steps_between", "write_csv"]

_DATE_NAMES = ("date", "ds", "timestamp", "time", "datetime", "period", "month", "year")
_MISSING = ["", "nan", "NaN", "NAN", "NA", "null", "NULL", "None"]
_SNIFF_BYTES = 64 * 1024
_MAX_GRID = 5_000_000  # dates on one regular grid; more means a wrong --freq or a stray date


@dataclass
class Dataset:
    """A validated series: the long frame plus what was learnt while reading it."""

    frame: pd.DataFrame  # columns unique_id, ds, y; sorted; one regular grid
    freq: str
    season: int
    date_col: str
    value_col: str
    path: str
    sha256: str
    warnings: list[str] = field(default_factory=list)

    @property
    def values(self) -> np.ndarray:
        return self.frame["y"].to_numpy(dtype=np.float64)

    @property
    def dates(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(self.frame["ds"])


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read(cfg: DataConfig) -> Dataset:
    """Read and validate ``cfg.path``: one regular, complete, finite series."""
    path = Path(cfg.path)
    name = str(path)
    notes: list[str] = []
    with warnings.catch_warnings():  # pandas' parsing chatter; our own notes go to ``warnings``
        warnings.simplefilter("ignore")
        raw = _read_table(path)
        date_col = _pick_date_col(raw, cfg, name)
        value_col = _pick_value_col(raw, cfg, name, date_col)
        dates = _parse_dates(raw[date_col], name, date_col)
        values = _parse_values(raw[value_col], name, value_col, cfg.thousands)
        frame = pd.DataFrame({"ds": dates.to_numpy(), "y": values, "_line": raw.index})
        if not frame["ds"].is_monotonic_increasing:
            frame = frame.sort_values("ds", kind="stable").reset_index(drop=True)
            notes.append(f"{name}: dates were not in order; sorted them")
        dup = frame["ds"].duplicated()
        if dup.any():
            first = frame.loc[dup.idxmax()]
            raise DataError(
                f"{name}: duplicate date {_fmt(first['ds'])} in column '{date_col}' "
                f"(line {first['_line']}); each date must appear once"
            )
        if len(frame) < 3:
            raise DataError(f"{name}: {len(frame)} data row(s); need at least 3 to infer a frequency")
        freq = cfg.freq or _infer_freq(pd.DatetimeIndex(frame["ds"]), name)
        frame = _complete_grid(frame, freq, cfg.fill, name, value_col, notes)
    frame.insert(0, "unique_id", value_col)
    frame = frame[["unique_id", "ds", "y"]].reset_index(drop=True)
    return Dataset(
        frame=frame,
        freq=freq,
        season=season_length(freq),
        date_col=date_col,
        value_col=value_col,
        path=str(path),
        sha256=file_sha256(path),
        warnings=notes,
    )


def _read_table(path: Path) -> pd.DataFrame:
    """The file as strings, blank rows dropped, indexed by each row's line number in the file."""
    try:
        if not path.exists():
            raise DataError(f"{path}: no such file; check the path")
        if path.is_dir():
            raise DataError(f"{path}: is a directory, not a CSV file")
        if not path.is_file():
            raise DataError(f"{path}: is not a regular file; give the path of a CSV file")
        with open(path, "rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except OSError as exc:
        raise DataError(
            f"{path}: cannot be read ({exc.strerror or exc}); check the path and its permissions"
        ) from None
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataError(f"{path}: is UTF-16 text; save it as UTF-8 CSV")
    if b"\x00" in head:
        raise DataError(f"{path}: looks like a binary file, not a CSV text file")
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if len(head) == _SNIFF_BYTES and exc.start >= len(head) - 4:
            text = head[: exc.start].decode("utf-8-sig")  # a character cut at the edge
        else:
            raise DataError(
                f"{path}: is not UTF-8 text (bad byte at offset {exc.start}); save it as UTF-8 CSV"
            ) from None
    if not text.strip():
        raise DataError(f"{path}: the file is empty; expected a CSV with a header row")
    lines = re.split(r"\r\n|\r|\n", text)  # the line breaks pandas knows, not str.splitlines' extras
    skip = next((i for i, ln in enumerate(lines) if ln.strip()), 0)  # blank lines above the header
    try:
        raw = pd.read_csv(
            path,
            sep=_sniff_separator(lines[skip:]),
            encoding="utf-8-sig",
            dtype=str,
            keep_default_na=False,
            skipinitialspace=True,
            skiprows=skip,
            skip_blank_lines=False,  # keep them so that row positions stay line numbers
        )
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: is not UTF-8 text ({exc.reason}); save it as UTF-8 CSV") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error, ValueError) as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{path}: cannot be parsed as CSV ({detail})") from None
    if not isinstance(raw.index, pd.RangeIndex):  # pandas took the extra first field as an index
        raise DataError(
            f"{path}: line {skip + 2} has {len(raw.columns) + 1} fields but the header has "
            f"{len(raw.columns)}; fix the header or the delimiter"
        )
    raw = raw.fillna("")
    raw.columns = [str(c).strip() for c in raw.columns]
    raw.index = raw.index + skip + 2
    raw = raw[(raw.apply(lambda col: col.str.strip()) != "").any(axis=1)]  # blank or all-empty rows
    if raw.empty:
        raise DataError(f"{path}: has a header but no data rows")
    return raw


def _sniff_separator(lines: list[str]) -> str:
    """The delimiter: comma, semicolon, tab or pipe."""
    lines = [ln for ln in lines if ln.strip()]
    try:
        return csv.Sniffer().sniff("\n".join(lines[:20]), delimiters=",;\t|").delimiter
    except csv.Error:
        counts = {d: (lines or [""])[0].count(d) for d in ",;\t|"}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def _pick_date_col(raw: pd.DataFrame, cfg: DataConfig, name: str) -> str:
    cols = list(raw.columns)
    if cfg.date_col is not None:
        if cfg.date_col not in cols:
            raise DataError(f"{name}: no column '{cfg.date_col}' (--date-col); columns are {cols}")
        if cfg.date_col == cfg.value_col:
            raise DataError(f"{name}: column '{cfg.date_col}' is both --date-col and --value-col; pick two")
        return cfg.date_col
    for col in cols:
        if col.lower() in _DATE_NAMES and col != cfg.value_col:
            return col
    for col in cols:
        sample = raw[col].head(50)
        if col == cfg.value_col or _looks_numeric(sample):
            continue
        try:
            parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
        except (ValueError, TypeError, OverflowError):
            continue
        if parsed.notna().all():
            return col
    raise DataError(f"{name}: no date column found among {cols}; name it with --date-col")


def _looks_numeric(col: pd.Series) -> bool:
    return bool(pd.to_numeric(col.str.replace(",", "", regex=False), errors="coerce").notna().all())


def _pick_value_col(raw: pd.DataFrame, cfg: DataConfig, name: str, date_col: str) -> str:
    cols = list(raw.columns)
    if cfg.value_col is not None:
        if cfg.value_col not in cols:
            raise DataError(f"{name}: no column '{cfg.value_col}' (--value-col); columns are {cols}")
        return cfg.value_col
    others = [c for c in cols if c != date_col]
    if not others:
        raise DataError(f"{name}: the only column is '{date_col}' (the dates); add a value column")
    numeric = [c for c in others if _mostly_numeric(raw[c], cfg.thousands)]
    if not numeric:  # numbers with an undeclared thousands separator, or one column of bad cells
        numeric = [c for c in others if _mostly_numeric(raw[c], ",")] or others[:1] * (len(others) == 1)
    if len(numeric) == 1:
        return numeric[0]
    if not numeric:
        raise DataError(f"{name}: no numeric value column among {others}; name it with --value-col")
    raise DataError(
        f"{name}: several numeric columns {numeric}; pick one with --value-col (one series per run for now)"
    )


def _mostly_numeric(col: pd.Series, thousands: str | None) -> bool:
    text = col.str.strip()
    if thousands:
        text = text.str.replace(thousands, "", regex=False)
    present = text[~text.isin(_MISSING)]
    if present.empty:
        return False
    return bool(pd.to_numeric(present, errors="coerce").notna().mean() >= 0.5)


def _parse_dates(col: pd.Series, name: str, date_col: str) -> pd.Series:
    text = col.str.strip()
    empty = text.isin(_MISSING)
    if empty.any():
        line = text.index[int(empty.to_numpy().argmax())]
        raise DataError(f"{name}: empty date in column '{date_col}' at line {line}")
    years = bool(text.str.fullmatch(r"\d{4}").all())  # plain years
    try:
        parsed = pd.to_datetime(text, errors="coerce", format="%Y" if years else None)
    except (ValueError, TypeError, OverflowError):  # e.g. mixed time zones
        parsed = _dates_one_by_one(text)
    bad = (parsed.isna() | ~parsed.dt.year.between(1, 9999)).to_numpy()  # year 0 parses in pandas
    if bad.any():
        i = int(bad.argmax())
        raise DataError(
            f"{name}: cannot parse date {text.iloc[i]!r} in column '{date_col}' at line {text.index[i]}; "
            f"dates must share one format (first value is {text.iloc[0]!r})"
        )
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    return parsed


def _dates_one_by_one(text: pd.Series) -> pd.Series:
    """Slow path (mixed time zones): each date alone, in UTC; NaT where awareness differs from the first."""
    stamps = [pd.to_datetime(v, errors="coerce") for v in text]
    aware = [s is not pd.NaT and s.tzinfo is not None for s in stamps]
    out = [s.tz_convert("UTC").tz_localize(None) if a else s for s, a in zip(stamps, aware, strict=True)]
    out = [s if a == aware[0] else pd.NaT for s, a in zip(out, aware, strict=True)]
    return pd.Series(pd.to_datetime(out, errors="coerce"), index=text.index)


def _parse_values(col: pd.Series, name: str, value_col: str, thousands: str | None) -> np.ndarray:
    text = col.str.strip()
    if thousands:
        text = text.str.replace(thousands, "", regex=False)
    missing = text.isin(_MISSING)
    numbers = pd.to_numeric(text.where(~missing), errors="coerce").astype(np.float64)
    bad = (numbers.isna() & ~missing).to_numpy()
    if bad.any():
        i = int(bad.argmax())
        value = col.iloc[i].strip()
        hint = " (a thousands separator? use --thousands ,)" if "," in value else ""
        raise DataError(
            f"{name}: value {value!r} in column '{value_col}' at line {col.index[i]} is not a number{hint}"
        )
    if not np.isfinite(numbers).any():
        raise DataError(f"{name}: column '{value_col}' holds no finite number; pick another with --value-col")
    return numbers.to_numpy(dtype=np.float64)


def _fmt(ts: object) -> str:
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


def _grid_size(dates: pd.DatetimeIndex, offset: pd.DateOffset) -> float:
    """About how many dates the grid from first to last holds, without building it."""
    anchor = pd.Timestamp("2000-01-03")  # a Monday: one step of B, W or MS is about its usual length
    return (dates[-1] - dates[0]) / (anchor + offset - anchor) + 1


def _infer_freq(dates: pd.DatetimeIndex, name: str) -> str:
    """pandas' inference, else the coarsest calendar grid that holds every date (gaps allowed)."""
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
            if _grid_size(dates, offset) > 20 * len(dates) + 100:
                continue
            grid = pd.date_range(dates[0], dates[-1], freq=offset)
        except (ValueError, OverflowError):  # a step too long for nanoseconds
            continue
        cand = offset.freqstr
        if dates.isin(grid).all() and (best is None or len(grid) < best[0]):
            best = (len(grid), cand)
    if best is None:
        raise DataError(
            f"{name}: dates are not regularly spaced (no frequency fits them); "
            "give one with --freq (e.g. MS, D, W-SUN, h)"
        )
    return best[1]


def _complete_grid(
    frame: pd.DataFrame, freq: str, fill: Fill, name: str, value_col: str, notes: list[str]
) -> pd.DataFrame:
    """Check that the dates form one regular grid with finite values; fill only if asked."""
    dates = pd.DatetimeIndex(frame["ds"])
    size = _grid_size(dates, _offset(freq, name))
    if size > _MAX_GRID:
        raise DataError(
            f"{name}: {_fmt(dates[0])} to {_fmt(dates[-1])} spans about {size:.3g} {freq} steps; "
            f"at most {_MAX_GRID:,} fit. Check --freq or the dates"
        )
    grid = pd.date_range(dates[0], dates[-1], freq=freq)
    off_grid = ~dates.isin(grid)
    if off_grid.any():
        i = int(off_grid.argmax())
        raise DataError(
            f"{name}: date {_fmt(dates[i])} (line {frame['_line'].iloc[i]}) is not on the "
            f"{freq} grid starting {_fmt(dates[0])}; check --freq or the dates"
        )
    y = frame["y"].to_numpy()
    if np.isinf(y).any():
        i = int(np.isinf(y).argmax())
        if fill is Fill.none:
            raise DataError(
                f"{name}: infinite value in column '{value_col}' at line {frame['_line'].iloc[i]} "
                f"(date {_fmt(dates[i])}); fix it or repair with --fill"
            )
        frame = frame.assign(y=frame["y"].replace([np.inf, -np.inf], np.nan))
    full = frame.set_index("ds").reindex(grid)
    full.index.name = "ds"
    gaps = full["_line"].isna()
    if gaps.any() and fill is Fill.none:
        first = _fmt(full.index[int(gaps.to_numpy().argmax())])
        raise DataError(
            f"{name}: gap in the {freq} series: {int(gaps.sum())} missing date(s), first "
            f"{first}; fill with --fill ffill|interpolate|zero"
        )
    nan = full["y"].isna() & ~gaps
    if nan.any() and fill is Fill.none:
        i = int(nan.to_numpy().argmax())
        raise DataError(
            f"{name}: empty or NaN value in column '{value_col}' at line "
            f"{int(full['_line'].iloc[i])} (date {_fmt(full.index[i])}); "
            "fill with --fill ffill|interpolate|zero"
        )
    repaired = int(full["y"].isna().sum())
    if repaired:
        full["y"] = _fill(full["y"], fill)
        if full["y"].isna().any():  # leading gaps cannot be forward-filled or interpolated
            full["y"] = full["y"].bfill()
        notes.append(f"{name}: filled {repaired} missing value(s) with --fill {fill.value}")
    return full.reset_index()[["ds", "y"]]


def _fill(y: pd.Series, fill: Fill) -> pd.Series:
    if fill is Fill.ffill:
        return y.ffill()
    if fill is Fill.interpolate:
        return y.interpolate(method="linear", limit_direction="both")
    return y.fillna(0.0)


_SEASONS = {
    "Y": 1, "A": 1, "Q": 4, "M": 12, "W": 52, "D": 7, "B": 5, "C": 5, "h": 24, "H": 24,
    "min": 60, "T": 60, "s": 60, "S": 60, "SM": 24, "BM": 12, "CBM": 12, "BQ": 4, "BY": 1, "BA": 1,
}  # fmt: skip


def season_length(freq: str) -> int:
    """Seasonal period implied by a frequency: 12 for monthly, 4 quarterly, 7 daily..."""
    offset = pd.tseries.frequencies.to_offset(freq)
    if offset.n != 1:
        return 1  # e.g. 15min or 2h: no standard season; pass --season
    base = offset.rule_code.split("-")[0]
    for prefix in sorted(_SEASONS, key=len, reverse=True):
        if base.startswith(prefix):
            return _SEASONS[prefix]
    return 1


def future_dates(last: pd.Timestamp, freq: str, horizon: int) -> pd.DatetimeIndex:
    """The ``horizon`` dates after ``last`` on the ``freq`` grid."""
    return pd.date_range(last, periods=horizon + 1, freq=freq)[1:]


def steps_between(start: pd.Timestamp, end: pd.Timestamp, freq: str) -> int:
    """How many ``freq`` steps lead from ``start`` to ``end`` (negative if end is earlier)."""
    if end >= start:
        return len(pd.date_range(start, end, freq=freq)) - 1
    return -(len(pd.date_range(end, start, freq=freq)) - 1)


def write_csv(frame: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write ``frame`` to ``path`` atomically: a temporary file beside it, then rename."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        frame.to_csv(tmp, index=False, float_format="%.10g", lineterminator="\n")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
