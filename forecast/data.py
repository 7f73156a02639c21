"""Read a CSV into a validated long frame (``unique_id``, ``ds``, ``y``) and write outputs.

Every problem raises ``DataError`` naming the file, the column and the first bad line or
date, with the flag that fixes it. Line numbers are the file's own (the header is line 1).
"""

from __future__ import annotations

import csv
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.config import DataConfig, Fill
from forecast.errors import DataError

__all__ = [
    "Dataset",
    "read",
    "file_sha256",
    "season_length",
    "future_dates",
    "steps_between",
    "write_csv",
]

_DATE_NAMES = ("date", "ds", "timestamp", "time", "datetime", "period", "month")
_MISSING = ["", "nan", "NaN", "NAN", "NA", "null", "NULL", "None"]
_SNIFF_BYTES = 64 * 1024


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
    raw = _read_table(path, cfg)
    name = str(path)
    warnings: list[str] = []
    date_col = _pick_date_col(raw, cfg, name)
    value_col = _pick_value_col(raw, cfg, name, date_col)
    dates = _parse_dates(raw[date_col], name, date_col)
    values = _parse_values(raw[value_col], name, value_col, cfg.thousands)
    frame = pd.DataFrame({"ds": dates.to_numpy(), "y": values, "_line": raw.index + 2})
    if not frame["ds"].is_monotonic_increasing:
        frame = frame.sort_values("ds", kind="stable").reset_index(drop=True)
        warnings.append(f"{name}: dates were not in order; sorted them")
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
    frame = _complete_grid(frame, freq, cfg.fill, name, date_col, value_col, warnings)
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
        warnings=warnings,
    )


def _read_table(path: Path, cfg: DataConfig) -> pd.DataFrame:
    if not path.exists():
        raise DataError(f"{path}: no such file; check the path")
    if path.is_dir():
        raise DataError(f"{path}: is a directory, not a CSV file")
    try:
        with open(path, "rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror}); check its permissions") from None
    if not head.strip():
        raise DataError(f"{path}: the file is empty; expected a CSV with a header row")
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
    sep = _sniff_separator(text)
    try:
        raw = pd.read_csv(
            path,
            sep=sep,
            encoding="utf-8-sig",
            dtype=str,
            keep_default_na=False,
            skipinitialspace=True,
        )
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: is not UTF-8 text ({exc.reason}); save it as UTF-8 CSV") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{path}: cannot be parsed as CSV ({detail})") from None
    raw.columns = [str(c).strip() for c in raw.columns]
    if raw.empty:
        raise DataError(f"{path}: has a header but no data rows")
    return raw


def _sniff_separator(text: str) -> str:
    """The delimiter of the header line: comma, semicolon, tab or pipe."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    header = lines[0] if lines else ""
    try:
        return csv.Sniffer().sniff("\n".join(lines[:20]), delimiters=",;\t|").delimiter
    except csv.Error:
        counts = {d: header.count(d) for d in ",;\t|"}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def _pick_date_col(raw: pd.DataFrame, cfg: DataConfig, name: str) -> str:
    cols = list(raw.columns)
    if cfg.date_col is not None:
        if cfg.date_col not in cols:
            raise DataError(f"{name}: no column '{cfg.date_col}' (--date-col); columns are {cols}")
        return cfg.date_col
    for col in cols:
        if col.lower() in _DATE_NAMES and col != cfg.value_col:
            return col
    for col in cols:
        if col == cfg.value_col:
            continue
        sample = raw[col].head(50)
        if _looks_numeric(sample):
            continue
        parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
        if parsed.notna().all():
            return col
    raise DataError(f"{name}: no date column found among {cols}; name it with --date-col")


def _looks_numeric(col: pd.Series) -> bool:
    return bool(pd.to_numeric(col.str.replace(",", "", regex=False), errors="coerce").notna().all())


def _pick_value_col(raw: pd.DataFrame, cfg: DataConfig, name: str, date_col: str) -> str:
    cols = list(raw.columns)
    if cfg.value_col is not None:
        if cfg.value_col not in cols:
            raise DataError(
                f"{name}: no column '{cfg.value_col}' (--value-col); columns are {cols}"
            )
        return cfg.value_col
    others = [c for c in cols if c != date_col]
    numeric = [c for c in others if _mostly_numeric(raw[c], cfg.thousands)]
    if len(numeric) == 1:
        return numeric[0]
    if not numeric:
        raise DataError(
            f"{name}: no numeric value column among {others}; name it with --value-col"
        )
    raise DataError(
        f"{name}: several numeric columns {numeric}; pick one with --value-col "
        "(one series per run for now)"
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
        line = int(empty.to_numpy().argmax()) + 2
        raise DataError(f"{name}: empty date in column '{date_col}' at line {line}")
    if text.str.fullmatch(r"\d{4}").all():  # plain years
        return pd.to_datetime(text, format="%Y")
    try:
        parsed = pd.to_datetime(text, errors="coerce")
    except (ValueError, TypeError, OverflowError):
        parsed = pd.Series(pd.NaT, index=text.index)
    bad = parsed.isna()
    if bad.any():
        line = int(bad.to_numpy().argmax()) + 2
        value = text.iloc[int(bad.to_numpy().argmax())]
        raise DataError(
            f"{name}: cannot parse date {value!r} in column '{date_col}' at line {line}; "
            f"dates must share one format (first value is {text.iloc[0]!r})"
        )
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    return parsed


def _parse_values(col: pd.Series, name: str, value_col: str, thousands: str | None) -> np.ndarray:
    text = col.str.strip()
    if thousands:
        text = text.str.replace(thousands, "", regex=False)
    missing = text.isin(_MISSING)
    numbers = pd.to_numeric(text.where(~missing), errors="coerce")
    bad = numbers.isna() & ~missing
    if bad.any():
        i = int(bad.to_numpy().argmax())
        value = col.iloc[i]
        hint = " (a thousands separator? use --thousands ,)" if "," in str(value) else ""
        raise DataError(
            f"{name}: value {value!r} in column '{value_col}' at line {i + 2} is not a number{hint}"
        )
    return numbers.to_numpy(dtype=np.float64)


def _fmt(ts: object) -> str:
    stamp = pd.Timestamp(ts)  # type: ignore[arg-type]
    return str(stamp.date()) if stamp == stamp.normalize() else str(stamp)


def _infer_freq(dates: pd.DatetimeIndex, name: str) -> str:
    """pandas' inference, else the coarsest calendar grid that holds every date (gaps allowed)."""
    freq = pd.infer_freq(dates)
    if freq:
        return freq
    first = dates[0]
    month = first.strftime("%b").upper()
    candidates = [f"YS-{month}", f"YE-{month}", f"QS-{month}", f"QE-{month}", "MS", "ME"]
    candidates += [f"W-{first.strftime('%a').upper()}", "D", "B", "h", "min", "s"]
    diffs = np.diff(dates.asi8)
    step = int(np.min(diffs)) if len(diffs) else 0
    if step > 0:
        candidates.append(pd.tseries.frequencies.to_offset(pd.Timedelta(step)).freqstr)
    best: tuple[int, str] | None = None
    for cand in candidates:
        try:
            grid = pd.date_range(dates[0], dates[-1], freq=cand)
        except ValueError:
            continue
        if len(grid) > 20 * len(dates) + 100:
            continue
        if dates.isin(grid).all() and (best is None or len(grid) < best[0]):
            best = (len(grid), cand)
    if best is None:
        raise DataError(
            f"{name}: dates are not regularly spaced (no frequency fits them); "
            "give one with --freq (e.g. MS, D, W-SUN, h)"
        )
    return best[1]


def _complete_grid(
    frame: pd.DataFrame,
    freq: str,
    fill: Fill,
    name: str,
    date_col: str,
    value_col: str,
    warnings: list[str],
) -> pd.DataFrame:
    """Check that the dates form one regular grid with finite values; fill only if asked."""
    dates = pd.DatetimeIndex(frame["ds"])
    try:
        grid = pd.date_range(dates[0], dates[-1], freq=freq)
    except ValueError as exc:
        raise DataError(f"{name}: --freq {freq!r} is not a pandas frequency ({exc})") from None
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
        warnings.append(f"{name}: filled {repaired} missing value(s) with --fill {fill.value}")
    return full.reset_index()[["ds", "y"]]


def _fill(y: pd.Series, fill: Fill) -> pd.Series:
    if fill is Fill.ffill:
        return y.ffill()
    if fill is Fill.interpolate:
        return y.interpolate(method="linear", limit_direction="both")
    return y.fillna(0.0)


_SEASONS = {
    "Y": 1, "A": 1, "Q": 4, "M": 12, "W": 52, "D": 7, "B": 5, "C": 5, "h": 24, "H": 24,
    "min": 60, "T": 60, "s": 60, "S": 60,
}  # fmt: skip


def season_length(freq: str) -> int:
    """Seasonal period implied by a frequency: 12 for monthly, 4 quarterly, 7 daily..."""
    offset = pd.tseries.frequencies.to_offset(freq)
    if offset.n != 1:
        return 1  # e.g. 15min or 2h: no standard season; pass --season
    base = offset.name.split("-")[0]
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
