"""Cells to values: dates and numbers parsed column by column, with errors naming the cell.

Fast paths (Arrow casts, each distinct date parsed once) fall back to pandas' exact parsing
wherever a cell is unusual, so both give the same values and the same messages.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from forecast.core.errors import DataError

__all__ = ["MISSING", "is_text", "is_number", "parse_dates", "parse_values", "numeric_text", "check_zone"]

# cells read as missing values (``--fill`` repairs them), in values and as empty dates
MISSING = ["", "nan", "NaN", "NAN", "NA", "N/A", "n/a", "#N/A", "-", "null", "NULL", "Null", "None"]


def is_text(col: pd.Series) -> bool:
    return isinstance(col.dtype, pd.StringDtype) or col.dtype == object


def is_number(col: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype)


def parse_dates(
    col: pd.Series, name: str, date_col: str, zone: str | None = None, dayfirst: bool | None = None
) -> pd.Series:
    """Naive datetimes; zone-aware dates become wall-clock ("wall") or UTC ("utc") time as
    ``_drop_zone`` decides, or as ``zone`` says (a second file read the way the first was).
    The choice made is in the result's ``attrs["zone"]`` (None for naive dates), the UTC
    offsets the dates were written with (minutes) in ``attrs["offsets"]``.

    Dates written ``nn/nn/yyyy`` (or with ``.`` or ``-``) are month first unless ``dayfirst``
    says otherwise or (``dayfirst`` None) a first number is over 12 and no second one is; the
    order read is in ``attrs["dayfirst"]`` (None for other formats)."""
    chosen: list[str] = []
    order: list[bool] = []
    offsets: set[int] = set()
    if pd.api.types.is_datetime64_any_dtype(col.dtype):  # typed (Parquet)
        parsed = col
        empty = parsed.isna().to_numpy()
        if empty.any():
            raise DataError(
                f"{name}: empty date in column '{date_col}' at line {col.index[int(empty.argmax())]}"
            )
        if parsed.dt.tz is not None:  # each distinct instant once (a panel repeats its dates)
            codes, uniques = pd.factorize(parsed)
            wall = uniques.tz_localize(None).to_numpy()
            utc = uniques.tz_convert("UTC").tz_localize(None).to_numpy()
            offsets.update(_minutes(wall, utc))
            local = _drop_zone(wall, utc, zone, chosen)
            parsed = pd.Series(local[codes], index=col.index)
    elif pd.api.types.is_integer_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
        # years (2020) or packed dates (20200101) stored as integers (Parquet): read as their text
        text = col.astype(pd.StringDtype("pyarrow", na_value=np.nan)).fillna("")
        parsed = _parse_date_text(text, name, date_col, zone, chosen, offsets, dayfirst, order)
    elif not is_text(col):
        raise DataError(
            f"{name}: column '{date_col}' holds {col.dtype} values, not dates; name it with --date-col"
        )
    else:
        parsed = _parse_date_text(col, name, date_col, zone, chosen, offsets, dayfirst, order)
    parsed.attrs["zone"] = chosen[0] if chosen else None
    parsed.attrs["dayfirst"] = order[0] if order else None
    parsed.attrs["offsets"] = tuple(sorted(offsets))
    return parsed


def check_zone(
    name: str,
    zone: str | None,
    offsets: tuple[int, ...],
    want: str | None,
    want_offsets: tuple[int, ...],
    of: str,
) -> None:
    """DataError unless dates read as (``zone``, ``offsets``) can be compared with those of ``of``
    (the training data, or the data file) read as (``want``, ``want_offsets``)."""
    if want is None and zone is None:
        return
    if (want is None) != (zone is None):
        has, lacks = ("carry", "do not") if zone else ("lack", "do")
        raise DataError(
            f"{name}: dates {has} time-zone offsets but those of {of} {lacks}; write both the same way"
        )
    extra = sorted(set(offsets) - set(want_offsets))
    if want == "wall" and extra:
        raise DataError(
            f"{name}: dates written with UTC offset(s) {_fmt_offsets(extra)}, those of {of} with "
            f"{_fmt_offsets(want_offsets)}; write them with the same offsets"
        )


def _minutes(wall: np.ndarray, utc: np.ndarray) -> set[int]:
    known = ~np.isnat(utc) & ~np.isnat(wall)
    return {int(m) for m in np.unique((wall[known] - utc[known]).astype("timedelta64[m]").astype(np.int64))}


def _fmt_offsets(minutes: object) -> str:
    return ", ".join(f"{'+' if m >= 0 else '-'}{abs(m) // 60:02d}:{abs(m) % 60:02d}" for m in minutes)


def _drop_zone(
    wall: np.ndarray, utc: np.ndarray, zone: str | None = None, chosen: list[str] | None = None
) -> np.ndarray:
    """Zone-aware dates as naive ones: their local wall-clock time, as the file writes them.

    Local midnights stay midnights across a DST change (in UTC, daily data would fall off its
    grid). UTC only where wall time would spoil a sub-daily series: two instants with one wall
    time (the hour repeated in autumn), or steps less regular than in UTC (the hour skipped
    in spring). ``wall`` and ``utc`` hold the same dates, NaT where one is unparsable.
    """
    if zone is None:
        zone = _zone_for(wall, utc)
    if chosen is not None:
        chosen.append(zone)
    return utc if zone == "utc" else wall


def _zone_for(wall: np.ndarray, utc: np.ndarray) -> str:
    known = ~np.isnat(utc)
    if len(np.unique(wall[known] - utc[known])) <= 1:  # one offset: the same steps either way
        return "wall"
    wall_sorted, utc_sorted = np.unique(wall[known]), np.unique(utc[known])
    if len(wall_sorted) < len(utc_sorted):
        return "utc"
    if len(np.unique(np.diff(utc_sorted))) < len(np.unique(np.diff(wall_sorted))):
        return "utc"
    return "wall"


_NUMERIC_DATE = r"^(\d{1,2})[/.\-](\d{1,2})[/.\-]\d{2,4}(?![\d/.\-])"  # 13/01/2012, 1.2.20, 01-13-2012


def _parse_date_text(
    col: pd.Series,
    name: str,
    date_col: str,
    zone: str | None = None,
    chosen: list[str] | None = None,
    offsets: set[int] | None = None,
    dayfirst: bool | None = None,
    order: list[bool] | None = None,
) -> pd.Series:
    """Parse each distinct text once (a panel repeats its dates in every series)."""
    codes, uniques = pd.factorize(col)  # the text as written, then each distinct one stripped
    text = pd.Series(np.asarray(uniques, dtype=object), dtype=col.dtype).str.strip()
    empty = text.isin(MISSING).to_numpy()
    if empty.any():
        line = col.index[int(np.isin(codes, np.flatnonzero(empty)).argmax())]
        raise DataError(f"{name}: empty date in column '{date_col}' at line {line}")
    years = bool(text.str.fullmatch(r"\d{4}").all())  # plain years
    numeric = not years and re.match(_NUMERIC_DATE, str(text.iloc[0])) is not None
    if numeric:  # day and month, or month and day, of every date
        fields = text.str.extract(_NUMERIC_DATE).astype(float)
        numeric = bool(fields.notna().all(axis=None))
    if numeric:
        if dayfirst is None:  # month first unless only day first fits
            dayfirst = bool(fields[0].max() > 12 and fields[1].max() <= 12)
        if order is not None:
            order.append(dayfirst)
    try:
        parsed = pd.to_datetime(
            text, errors="coerce", format="%Y" if years else None, dayfirst=bool(dayfirst)
        )
    except (ValueError, TypeError, OverflowError):  # e.g. mixed offsets (a DST change)
        parsed = _dates_one_by_one(text, zone, chosen, offsets)
    else:
        if parsed.dt.tz is not None:
            wall = parsed.dt.tz_localize(None).to_numpy()
            utc = parsed.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
            if offsets is not None:
                offsets.update(_minutes(wall, utc))
            parsed = pd.Series(_drop_zone(wall, utc, zone, chosen))
    bad = (parsed.isna() | ~parsed.dt.year.between(1, 9999)).to_numpy()  # year 0 parses in pandas
    if numeric:  # pandas may guess the other order from the first date: each month is checked
        bad = bad | (parsed.dt.month != fields[1 if dayfirst else 0]).to_numpy()
    if bad.any():
        i = int(np.isin(codes, np.flatnonzero(bad)).argmax())
        raise DataError(
            f"{name}: cannot parse date {text.iloc[codes[i]]!r} in column '{date_col}' at line {col.index[i]}; "
            f"dates must share one format (first value is {text.iloc[codes[0]]!r})"
            + (_order_hint(text, fields, bool(dayfirst)) if numeric else "")
        )
    return pd.Series(parsed.to_numpy()[codes], index=col.index)


def _order_hint(text: pd.Series, fields: pd.DataFrame, dayfirst: bool) -> str:
    """Which of --dayfirst/--monthfirst reads nn/nn/yyyy dates, or that none does."""
    day_first, month_first = fields[0] > 12, fields[1] > 12
    if day_first.any() and month_first.any():
        return (
            f"; {text[day_first].iloc[0]!r} puts the day first but {text[month_first].iloc[0]!r} the "
            "month: write them one way"
        )
    if day_first.any() and not dayfirst:
        return f"; day-first dates such as {text[day_first].iloc[0]!r}? use --dayfirst"
    if month_first.any() and dayfirst:
        return f"; month-first dates such as {text[month_first].iloc[0]!r}? use --monthfirst"
    return ""


def _dates_one_by_one(
    text: pd.Series, zone: str | None = None, chosen: list[str] | None = None, offsets: set[int] | None = None
) -> pd.Series:
    """Slow path (mixed offsets): each date alone, zones dropped as ``_drop_zone`` says; NaT where
    awareness differs from the first."""
    stamps = [pd.to_datetime(v, errors="coerce") for v in text]
    aware = [s is not pd.NaT and s.tzinfo is not None for s in stamps]
    stamps = [s if a == aware[0] else pd.NaT for s, a in zip(stamps, aware, strict=True)]
    if not aware[0]:
        return pd.Series(pd.to_datetime(stamps, errors="coerce"), index=text.index)
    wall = pd.to_datetime([s if s is pd.NaT else s.tz_localize(None) for s in stamps]).to_numpy()
    utc = pd.to_datetime(
        [s if s is pd.NaT else s.tz_convert("UTC").tz_localize(None) for s in stamps]
    ).to_numpy()
    utc = utc.astype(wall.dtype)
    if offsets is not None:
        offsets.update(_minutes(wall, utc))
    return pd.Series(_drop_zone(wall, utc, zone, chosen), index=text.index)


def parse_values(
    col: pd.Series,
    name: str,
    value_col: str,
    thousands: str | None,
    allow_empty: bool = False,
    decimal: str = ".",
) -> np.ndarray:
    """Numbers from a column; the cells in ``MISSING`` are NaN. ``thousands`` and ``decimal``
    are the marks the file writes (``1.234,5``: ``"."`` and ``","``); a thousands mark must
    group digits in threes, and with a decimal comma a stray ``.`` is refused, not guessed."""
    if not is_text(col):
        if not is_number(col):
            raise DataError(f"{name}: column '{value_col}' holds {col.dtype} values, not numbers")
        numbers = col.to_numpy(dtype=np.float64, na_value=np.nan)
        if not np.isfinite(numbers).any() and not (allow_empty and np.isnan(numbers).all()):
            raise DataError(
                f"{name}: column '{value_col}' holds no finite number; pick another with --value-col"
            )
        return numbers
    plain = not thousands and decimal == "."
    quick = _cast_float(col) if plain else None  # plain numbers in every cell: no stripped copies
    if quick is not None:
        numbers = pd.Series(quick, index=col.index)
        missing = numbers.isna()
    else:
        text = col.str.strip()
        missing = text.isin(MISSING)
        if not plain:
            _check_marks(text.where(~missing, ""), col, name, value_col, thousands, decimal)
            text = numeric_text(text, thousands, decimal)
        numbers = _to_float(text.where(~missing))
    bad = (numbers.isna() & ~missing).to_numpy()
    if bad.any():
        i = int(bad.argmax())
        value = col.iloc[i].strip()
        hint = _marks_hint(col, value) if decimal == "." else ""
        raise DataError(
            f"{name}: value {value!r} in column '{value_col}' at line {col.index[i]} is not a number{hint}; "
            "correct it, or blank it (empty, NA, n/a, -, null and NaN are missing) and repair with "
            "--fill ffill|interpolate|zero"
        )
    if not np.isfinite(numbers).any() and not (allow_empty and missing.all()):
        raise DataError(f"{name}: column '{value_col}' holds no finite number; pick another with --value-col")
    return numbers.to_numpy(dtype=np.float64)


def numeric_text(text: pd.Series, thousands: str | None, decimal: str = ".") -> pd.Series:
    """Stripped text with the thousands mark dropped and the decimal mark made a point."""
    if thousands:
        text = text.str.replace(thousands, "", regex=False)
    if decimal != ".":
        text = text.str.replace(decimal, ".", regex=False)
    return text


_EUROPEAN = r"[+-]?\d{1,3}(?:\.\d{3})+,\d+"  # 1.234,5
_DECIMAL_COMMA = r"[+-]?\d*,\d+"  # 29,66 or 15,136 (this one could group thousands)
_GROUPED = r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?"  # 1,234 or 1,234,567.5


def _grouped(thousands: str, decimal: str) -> str:
    t, d = re.escape(thousands), re.escape(decimal)
    return rf"[+-]?\d{{1,3}}(?:{t}\d{{3}})+(?:{d}\d*)?(?:[eE][+-]?\d+)?"


def _check_marks(
    text: pd.Series, col: pd.Series, name: str, value_col: str, thousands: str | None, decimal: str
) -> None:
    """DataError at the first cell whose marks contradict ``thousands`` and ``decimal``."""
    where = f"in column '{value_col}' at line"
    if thousands:
        has = text.str.contains(thousands, regex=False)
        wrong = has & ~text.str.fullmatch(_grouped(thousands, decimal))
        if wrong.any():
            i = int(wrong.to_numpy().argmax())
            value = text.iloc[i]
            hint = "check --thousands"
            if thousands == "," and decimal == "." and re.fullmatch(_DECIMAL_COMMA, value):
                hint = "a decimal comma? use --decimal , instead of --thousands ,"
            raise DataError(
                f"{name}: value {value!r} {where} {col.index[i]} does not group digits in threes "
                f"around the thousands separator {thousands!r} (--thousands); {hint}"
            )
    if decimal == "," and thousands != ".":
        dots = text.str.contains(".", regex=False)
        if dots.any():
            i = int(dots.to_numpy().argmax())
            raise DataError(
                f"{name}: value {text.iloc[i]!r} {where} {col.index[i]} has a '.' but --decimal , makes "
                "',' the decimal mark; if '.' groups thousands (1.234,5) add --thousands ."
            )


def _marks_hint(col: pd.Series, value: str) -> str:
    """A hint for a cell with a comma, judged on the whole column: European numbers, decimal
    commas, or (every comma grouping three digits) a thousands separator or a decimal comma."""
    if "," not in value:
        return ""
    text = col.str.strip()
    commas = text[text.str.contains(",", regex=False)]
    if commas.str.fullmatch(_EUROPEAN).any():
        return " (European numbers such as '1.234,5'? use --decimal , --thousands .)"
    if commas.str.fullmatch(_DECIMAL_COMMA).any() and not commas.str.fullmatch(_GROUPED).all():
        return " (a decimal comma? use --decimal ,)"
    if commas.str.fullmatch(_GROUPED).all():
        return " (a thousands separator? use --thousands , ; or --decimal , if the comma marks decimals)"
    return ""


def _cast_float(col: pd.Series) -> np.ndarray | None:
    """Arrow's cast of a whole text column to float64, or None if any cell is not a plain number.

    Arrow also reads '-nan', 'nAn' or 'nan(1)' as NaN; only the cells in ``MISSING`` are
    missing, so any other NaN sends the column to the exact path, which names the cell.
    """
    if not (isinstance(col.dtype, pd.StringDtype) and col.dtype.storage == "pyarrow"):
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        numbers = pc.cast(col.array.__arrow_array__(), pa.float64()).to_numpy()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    nan = np.isnan(numbers)
    if nan.any() and not col[nan].isin(MISSING).all():
        return None
    return numbers


def _to_float(text: pd.Series) -> pd.Series:
    """Numbers from text (missing cells already NaN): Arrow's cast, pandas' where that refuses."""
    if isinstance(text.dtype, pd.StringDtype) and text.dtype.storage == "pyarrow":
        import pyarrow as pa
        import pyarrow.compute as pc

        try:
            cast = pc.cast(pa.array(text, type=pa.string(), from_pandas=True), pa.float64())
            return pd.Series(cast.to_numpy(zero_copy_only=False), index=text.index)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass  # a bad cell somewhere: pandas finds which
    return pd.to_numeric(text, errors="coerce").astype(np.float64)
