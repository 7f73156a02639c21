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

from forecast import validate
from forecast.config import DataConfig
from forecast.errors import DataError

__all__ = ["Dataset", "Rows", "read", "read_rows", "read_future", "file_sha256", "covariate_columns"]

_DATE_NAMES = ("date", "ds", "timestamp", "time", "datetime", "period", "month", "year")
_MISSING = ["", "nan", "NaN", "NAN", "NA", "null", "NULL", "None"]
_SNIFF_BYTES = 64 * 1024
_PARQUET_SUFFIXES = (".parquet", ".pq")


@dataclass
class Dataset:
    """Validated series: the long frame plus what was learnt while reading it."""

    frame: pd.DataFrame  # unique_id, ds, y; sorted by series then date; one regular grid each
    freq: str
    season: int
    date_col: str
    value_col: str  # the value column (long format) or a label for the wide columns
    id_col: str | None
    wide: bool
    path: str
    sha256: str
    anchor: pd.Timestamp  # the earliest date: grid position 0
    positions: np.ndarray  # per row: steps since ``anchor``
    ids: np.ndarray  # series ids in frame order
    indptr: np.ndarray  # rows of series k are indptr[k]:indptr[k + 1]
    warnings: list[str] = field(default_factory=list)
    covariate_cols: tuple[str, ...] = ()  # past-observed columns first, then those known ahead

    @property
    def covariates(self) -> np.ndarray:
        """(rows, covariates) float64 aligned with ``frame``; (rows, 0) when there are none."""
        cols = covariate_columns(len(self.covariate_cols))
        if not cols:
            return np.empty((len(self.frame), 0))
        return self.frame[cols].to_numpy(dtype=np.float64)

    @property
    def panel(self) -> bool:
        """Read as several series (--id-col or --wide): outputs carry a series column."""
        return self.id_col is not None or self.wide

    @property
    def values(self) -> np.ndarray:
        return self.frame["y"].to_numpy(dtype=np.float64)

    @property
    def dates(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(self.frame["ds"])

    def rows(self, k: int) -> slice:
        """Row slice of series ``k``."""
        return slice(int(self.indptr[k]), int(self.indptr[k + 1]))


def covariate_columns(count: int) -> list[str]:
    """Internal frame columns of the covariates, in the order they were named."""
    return [f"_x{i}" for i in range(count)]


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class Rows:
    """Parsed rows (unique_id, ds, y, _line) before any grid check, and where they came from."""

    frame: pd.DataFrame
    date_col: str
    value_col: str
    id_col: str | None
    panel: bool
    covariate_cols: tuple[str, ...] = ()


def read_rows(cfg: DataConfig) -> Rows:
    """Parse ``cfg.path`` into rows: columns found, dates and numbers parsed, nothing else checked."""
    path = Path(cfg.path)
    name = str(path)
    with warnings.catch_warnings():  # pandas' parsing chatter
        warnings.simplefilter("ignore")
        raw = _read_table(path)
        date_col = _pick_date_col(raw, cfg, name)
        id_col = _pick_id_col(raw, cfg, name, date_col)
        covariates = _pick_covariates(raw, cfg, name, date_col, id_col)
        extra = {
            col: _parse_values(raw.pop(c), name, c, cfg.thousands, allow_empty=True)
            for col, c in zip(covariate_columns(len(covariates)), covariates)
        }
        value_cols = _pick_value_cols(raw, cfg, name, date_col, id_col)
        dates = _parse_dates(raw.pop(date_col), name, date_col)  # popped: big files free it early
        rows = _long_rows(raw, dates, value_cols, id_col, cfg, name, extra)
    label = value_cols[0] if len(value_cols) == 1 else "(wide columns)"
    return Rows(rows, date_col, label, id_col, id_col is not None or cfg.wide, covariates)


def read(cfg: DataConfig) -> Dataset:
    """Read and validate ``cfg.path``: one series, a long panel (--id-col) or wide columns (--wide)."""
    path = Path(cfg.path)
    name = str(path)
    parsed = read_rows(cfg)
    date_col, label, id_col = parsed.date_col, parsed.value_col, parsed.id_col
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg = validate.regularise(
            parsed.frame, cfg.freq, cfg.fill, name, (date_col, label), parsed.panel, parsed.covariate_cols
        )
    codes = reg.frame["unique_id"].cat.codes.to_numpy()
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    ids = np.asarray(reg.frame["unique_id"].cat.categories, dtype=object)[codes[starts]]
    return Dataset(
        frame=reg.frame.reset_index(drop=True),
        freq=reg.freq,
        season=validate.season_length(reg.freq),
        date_col=date_col,
        value_col=label,
        id_col=id_col,
        wide=cfg.wide and cfg.value_col is None,
        path=str(path),
        sha256=file_sha256(path),
        anchor=reg.anchor,
        positions=reg.positions,
        ids=ids,
        indptr=np.r_[starts, len(codes)].astype(np.int64),
        warnings=reg.notes,
        covariate_cols=parsed.covariate_cols,
    )


def read_future(path: str, cfg: DataConfig, columns: tuple[str, ...]) -> pd.DataFrame:
    """Known-ahead covariate values (``predict --future``): rows ``unique_id`` (None without an
    id column: the rows hold for every series), ``ds``, ``_line`` and ``columns``, in file order.

    The date column is the run's when the file has it; the id column must be the run's.
    """
    name = str(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = _read_table(Path(path))
        if cfg.date_col in raw.columns:
            date_col = str(cfg.date_col)
        else:
            date_col = _pick_date_col(raw, DataConfig(path=name), name)
        for col, flag in [*((c, "--future-covariate") for c in columns), (cfg.id_col, "the run's --id-col")]:
            if col is not None and col not in raw.columns:
                raise DataError(f"{name}: no column '{col}' ({flag}); columns are {list(raw.columns)}")
        out = pd.DataFrame(
            {
                "unique_id": _series_ids(raw[cfg.id_col], name, cfg.id_col) if cfg.id_col else None,
                "ds": _parse_dates(raw[date_col], name, date_col).to_numpy(),
                "_line": raw.index.to_numpy(),
            }
        )
        for col in columns:
            out[col] = _parse_values(raw[col], name, col, cfg.thousands, allow_empty=True)
    return out


def _long_rows(
    raw: pd.DataFrame,
    dates: pd.Series,
    value_cols: list[str],
    id_col: str | None,
    cfg: DataConfig,
    name: str,
    extra: dict[str, np.ndarray],
) -> pd.DataFrame:
    """Rows (unique_id, ds, y, _line, covariates) in file order; wide columns are trimmed of
    their empty ends, and each wide series gets the covariates of its own rows.

    ``unique_id`` is categorical with sorted categories: a million-row panel holds one string
    per series, and sorting or comparing ids works on integer codes.
    """
    lines = raw.index.to_numpy()
    if len(value_cols) == 1:
        y = _parse_values(raw.pop(value_cols[0]), name, value_cols[0], cfg.thousands)  # freed early
        if id_col is None:
            uid = pd.Categorical.from_codes(np.zeros(len(raw), dtype=np.int8), [value_cols[0]])
        else:
            uid = _series_ids(raw[id_col], name, id_col)
        return pd.DataFrame({"unique_id": uid, "ds": dates.to_numpy(), "y": y, "_line": lines, **extra})
    parts = []
    order = np.argsort(dates.to_numpy(), kind="stable")
    kinds = pd.CategoricalDtype(sorted(value_cols))
    for col in value_cols:
        y = _parse_values(raw[col], name, col, cfg.thousands, allow_empty=True)
        present = np.flatnonzero(~np.isnan(y[order]))  # a column may start late or end early
        if not len(present):
            raise DataError(
                f"{name}: column '{col}' has no values; drop it or name the others with --value-col"
            )
        keep = order[present[0] : present[-1] + 1]
        uid = pd.Categorical([col] * len(keep), dtype=kinds)
        parts.append(
            pd.DataFrame(
                {
                    "unique_id": uid,
                    "ds": dates.to_numpy()[keep],
                    "y": y[keep],
                    "_line": lines[keep],
                    **{c: v[keep] for c, v in extra.items()},
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _series_ids(col: pd.Series, name: str, id_col: str) -> pd.Categorical:
    """Series ids as a categorical (sorted text categories); empty ids refused."""
    if not _is_text(col):  # typed ids (Parquet): each distinct value turned to text once
        codes, uniques = pd.factorize(col, sort=True, use_na_sentinel=True)
        if (codes < 0).any():
            raise DataError(
                f"{name}: empty series id in column '{id_col}' at line {col.index[int((codes < 0).argmax())]}"
            )
        text = pd.Index([str(u) for u in uniques])
        if text.has_duplicates:
            raise DataError(f"{name}: series ids in column '{id_col}' collide when read as text")
        order = np.argsort(np.asarray(text, dtype=object))
        remap = np.empty(len(order), dtype=np.int64)
        remap[order] = np.arange(len(order))
        return pd.Categorical.from_codes(remap[codes], text[order])
    raw_codes, raw_ids = pd.factorize(col)  # each distinct id stripped once, then merged
    stripped = pd.Series(np.asarray(raw_ids, dtype=object), dtype=col.dtype).str.strip()
    merged, uniques = pd.factorize(stripped, sort=True)
    codes = merged[raw_codes]
    empty = np.flatnonzero(np.asarray(uniques, dtype=object) == "")
    if len(empty):
        i = int((codes == empty[0]).argmax())
        raise DataError(f"{name}: empty series id in column '{id_col}' at line {col.index[i]}")
    return pd.Categorical.from_codes(codes, pd.Index(np.asarray(uniques, dtype=object)))


def _read_table(path: Path) -> pd.DataFrame:
    """The file as columns indexed by each row's line number, blank rows dropped.

    CSV cells stay text (Arrow-backed strings: compact, vectorised) until parsed; Parquet
    columns keep their types, and its "line" numbers are row numbers counted from 1.
    """
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
    if head.startswith(b"PAR1") or path.suffix.lower() in _PARQUET_SUFFIXES:
        return _read_parquet(path)
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
    sep = _sniff_separator(lines[skip:])
    raw = _read_csv_arrow(path, sep, skip, lines[skip])
    if raw is None:  # anything unusual: pandas' parser, which also words the errors
        raw = _read_csv_pandas(path, sep, skip)
    raw.columns = [str(c).strip() for c in raw.columns]
    raw.index = raw.index + skip + 2
    blank = np.ones(len(raw), dtype=bool)
    for col in raw.columns:
        blank &= _blank_cells(raw[col])
    if blank.any():
        raw = raw[~blank]  # blank or all-empty rows
    if raw.empty:
        raise DataError(f"{path}: has a header but no data rows")
    return raw


def _blank_cells(col: pd.Series) -> np.ndarray:
    """Empty or all-space cells, without a stripped copy of a big column."""
    if isinstance(col.dtype, pd.StringDtype) and col.dtype.storage == "pyarrow":
        import pyarrow.compute as pc

        arr = col.array.__arrow_array__()
        blank = pc.or_(pc.equal(pc.utf8_length(arr), 0), pc.utf8_is_space(arr))
        return blank.to_numpy(zero_copy_only=False)
    return (col.str.strip() == "").to_numpy()


def _read_csv_arrow(path: Path, sep: str, skip: int, header: str) -> pd.DataFrame | None:
    """Every column as text with pyarrow's multi-threaded reader, or None where it balks.

    Blank lines are kept as empty rows so that row positions stay line numbers.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    try:
        names = [n.lstrip("\ufeff") for n in next(csv.reader([header], delimiter=sep))]
    except (csv.Error, StopIteration):
        return None
    if len(set(names)) != len(names) or any(n.strip() != n or not n for n in names):
        return None  # duplicate, padded or empty names: pandas' rules for those
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(skip_rows=skip, block_size=1 << 22),
            parse_options=pacsv.ParseOptions(delimiter=sep, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.large_string() for n in names}, strings_can_be_null=False
            ),
        )
    except (pa.ArrowException, OSError, ValueError):
        return None
    if table.column_names != names or any(t != pa.large_string() for t in table.schema.types):
        return None
    if any(_space_before_quote(table.column(n)) for n in names):
        return None  # ' "a"': pandas' skipinitialspace drops the space, then the quotes
    # large_string is what pandas' Arrow strings hold: the frame shares the table's buffers
    return table.to_pandas(types_mapper={pa.large_string(): pd.StringDtype("pyarrow", na_value=np.nan)}.get)


def _space_before_quote(col: object) -> bool:
    """Whether a cell is spaces then a quote; the regex runs only where a cell starts with a space."""
    import pyarrow.compute as pc

    if not pc.any(pc.starts_with(col, " ")).as_py():
        return False
    return bool(pc.any(pc.match_substring_regex(col, r'^\s+"')).as_py())


def _read_csv_pandas(path: Path, sep: str, skip: int) -> pd.DataFrame:
    try:
        raw = pd.read_csv(
            path,
            sep=sep,
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
    return raw.fillna("")


def _read_parquet(path: Path) -> pd.DataFrame:
    """A Parquet file's columns with their own types; row numbers (from 1) as the index."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError, ValueError) as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{path}: cannot be read as Parquet ({detail})") from None
    text = pd.StringDtype("pyarrow", na_value=np.nan)
    raw = table.to_pandas(types_mapper={pa.string(): text, pa.large_string(): text}.get)
    raw.columns = [str(c).strip() for c in raw.columns]
    if isinstance(raw.index, pd.MultiIndex) or not isinstance(raw.index, pd.RangeIndex):
        raw = raw.reset_index()  # a pandas index stored in the file is a column like any other
    for col in raw.columns:
        if raw[col].dtype == object or isinstance(raw[col].dtype, pd.CategoricalDtype):  # as text
            raw[col] = raw[col].map(lambda v: "" if pd.isna(v) else str(v)).astype(text)
        elif isinstance(raw[col].dtype, pd.StringDtype):
            raw[col] = raw[col].fillna("")
    raw.index = pd.RangeIndex(1, len(raw) + 1)
    if raw.empty:
        raise DataError(f"{path}: has no rows")
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
        if pd.api.types.is_datetime64_any_dtype(sample.dtype) and col != cfg.value_col:
            return col  # a typed date column (Parquet)
        if col == cfg.value_col or not _is_text(sample) or _looks_numeric(sample):
            continue
        try:
            parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
        except (ValueError, TypeError, OverflowError):
            continue
        if parsed.notna().all():
            return col
    raise DataError(f"{name}: no date column found among {cols}; name it with --date-col")


def _is_text(col: pd.Series) -> bool:
    return isinstance(col.dtype, pd.StringDtype) or col.dtype == object


def _is_number(col: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype)


def _looks_numeric(col: pd.Series) -> bool:
    if not _is_text(col):
        return _is_number(col)
    return bool(pd.to_numeric(col.str.replace(",", "", regex=False), errors="coerce").notna().all())


def _pick_id_col(raw: pd.DataFrame, cfg: DataConfig, name: str, date_col: str) -> str | None:
    if cfg.id_col is None:
        return None
    if cfg.id_col not in raw.columns:
        raise DataError(f"{name}: no column '{cfg.id_col}' (--id-col); columns are {list(raw.columns)}")
    if cfg.id_col in (date_col, cfg.value_col):
        raise DataError(f"{name}: column '{cfg.id_col}' cannot be both --id-col and the date or value column")
    return cfg.id_col


def _pick_covariates(
    raw: pd.DataFrame, cfg: DataConfig, name: str, date_col: str, id_col: str | None
) -> tuple[str, ...]:
    """The covariate columns, checked to exist: past-observed ones first, then those known ahead."""
    names = (*cfg.covariates, *cfg.future_covariates)
    for col in names:
        flag = "--covariate" if col in cfg.covariates else "--future-covariate"
        if col not in raw.columns:
            raise DataError(f"{name}: no column '{col}' ({flag}); columns are {list(raw.columns)}")
        if col in (date_col, id_col, cfg.value_col):
            raise DataError(f"{name}: column '{col}' ({flag}) is also the date, id or value column")
    return names


def _pick_value_cols(
    raw: pd.DataFrame, cfg: DataConfig, name: str, date_col: str, id_col: str | None
) -> list[str]:
    cols = list(raw.columns)
    if cfg.value_col is not None:
        if cfg.value_col not in cols:
            raise DataError(f"{name}: no column '{cfg.value_col}' (--value-col); columns are {cols}")
        return [cfg.value_col]
    others = [c for c in cols if c not in (date_col, id_col)]
    if not others:
        raise DataError(f"{name}: the only columns are {cols}; add a value column")
    numeric = [c for c in others if _mostly_numeric(raw[c], cfg.thousands)]
    if not numeric:  # numbers with an undeclared thousands separator, or one column of bad cells
        numeric = [c for c in others if _mostly_numeric(raw[c], ",")] or others[:1] * (len(others) == 1)
    if not numeric:
        raise DataError(f"{name}: no numeric value column among {others}; name it with --value-col")
    if len(numeric) == 1 or (cfg.wide and id_col is None):
        return numeric
    raise DataError(
        f"{name}: several numeric columns {numeric}; pick one with --value-col"
        + ("" if id_col else ", or read each column as a series with --wide")
    )


def _mostly_numeric(col: pd.Series, thousands: str | None) -> bool:
    if not _is_text(col):
        return _is_number(col)
    text = col.str.strip()
    if thousands:
        text = text.str.replace(thousands, "", regex=False)
    present = text[~text.isin(_MISSING)]
    if present.empty:
        return False
    return bool(pd.to_numeric(present, errors="coerce").notna().mean() >= 0.5)


def _parse_dates(col: pd.Series, name: str, date_col: str) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(col.dtype):  # typed (Parquet)
        parsed = col
        empty = parsed.isna().to_numpy()
        if empty.any():
            raise DataError(
                f"{name}: empty date in column '{date_col}' at line {col.index[int(empty.argmax())]}"
            )
        if parsed.dt.tz is not None:  # each distinct instant once (a panel repeats its dates)
            codes, uniques = pd.factorize(parsed)
            local = _drop_zone(
                uniques.tz_localize(None).to_numpy(), uniques.tz_convert("UTC").tz_localize(None).to_numpy()
            )
            parsed = pd.Series(local[codes], index=col.index)
    elif pd.api.types.is_integer_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
        # years (2020) or packed dates (20200101) stored as integers (Parquet): read as their text
        text = col.astype(pd.StringDtype("pyarrow", na_value=np.nan)).fillna("")
        parsed = _parse_date_text(text, name, date_col)
    elif not _is_text(col):
        raise DataError(
            f"{name}: column '{date_col}' holds {col.dtype} values, not dates; name it with --date-col"
        )
    else:
        parsed = _parse_date_text(col, name, date_col)
    return parsed


def _drop_zone(wall: np.ndarray, utc: np.ndarray) -> np.ndarray:
    """Zone-aware dates as naive ones: their local wall-clock time, as the file writes them.

    Local midnights stay midnights across a DST change (in UTC, daily data would fall off its
    grid). UTC only where wall time would spoil a sub-daily series: two instants with one wall
    time (the hour repeated in autumn), or steps less regular than in UTC (the hour skipped
    in spring). ``wall`` and ``utc`` hold the same dates, NaT where one is unparsable.
    """
    known = ~np.isnat(utc)
    if len(np.unique(wall[known] - utc[known])) <= 1:  # one offset: the same steps either way
        return wall
    wall_sorted, utc_sorted = np.unique(wall[known]), np.unique(utc[known])
    if len(wall_sorted) < len(utc_sorted):
        return utc
    if len(np.unique(np.diff(utc_sorted))) < len(np.unique(np.diff(wall_sorted))):
        return utc
    return wall


def _parse_date_text(col: pd.Series, name: str, date_col: str) -> pd.Series:
    """Parse each distinct text once (a panel repeats its dates in every series)."""
    codes, uniques = pd.factorize(col)  # the text as written, then each distinct one stripped
    text = pd.Series(np.asarray(uniques, dtype=object), dtype=col.dtype).str.strip()
    empty = text.isin(_MISSING).to_numpy()
    if empty.any():
        line = col.index[int(np.isin(codes, np.flatnonzero(empty)).argmax())]
        raise DataError(f"{name}: empty date in column '{date_col}' at line {line}")
    years = bool(text.str.fullmatch(r"\d{4}").all())  # plain years
    try:
        parsed = pd.to_datetime(text, errors="coerce", format="%Y" if years else None)
    except (ValueError, TypeError, OverflowError):  # e.g. mixed offsets (a DST change)
        parsed = _dates_one_by_one(text)
    else:
        if parsed.dt.tz is not None:
            wall = parsed.dt.tz_localize(None).to_numpy()
            parsed = pd.Series(_drop_zone(wall, parsed.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()))
    bad = (parsed.isna() | ~parsed.dt.year.between(1, 9999)).to_numpy()  # year 0 parses in pandas
    if bad.any():
        i = int(np.isin(codes, np.flatnonzero(bad)).argmax())
        raise DataError(
            f"{name}: cannot parse date {text.iloc[codes[i]]!r} in column '{date_col}' at line {col.index[i]}; "
            f"dates must share one format (first value is {text.iloc[codes[0]]!r})"
        )
    return pd.Series(parsed.to_numpy()[codes], index=col.index)


def _dates_one_by_one(text: pd.Series) -> pd.Series:
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
    return pd.Series(_drop_zone(wall, utc.astype(wall.dtype)), index=text.index)


def _parse_values(
    col: pd.Series, name: str, value_col: str, thousands: str | None, allow_empty: bool = False
) -> np.ndarray:
    if not _is_text(col):
        if not _is_number(col):
            raise DataError(f"{name}: column '{value_col}' holds {col.dtype} values, not numbers")
        numbers = col.to_numpy(dtype=np.float64, na_value=np.nan)
        if not np.isfinite(numbers).any() and not (allow_empty and np.isnan(numbers).all()):
            raise DataError(
                f"{name}: column '{value_col}' holds no finite number; pick another with --value-col"
            )
        return numbers
    quick = None if thousands else _cast_float(col)  # plain numbers in every cell: no stripped copies
    if quick is not None:
        numbers = pd.Series(quick, index=col.index)
        missing = numbers.isna()
    else:
        text = col.str.strip()
        if thousands:
            text = text.str.replace(thousands, "", regex=False)
        missing = text.isin(_MISSING)
        numbers = _to_float(text.where(~missing))
    bad = (numbers.isna() & ~missing).to_numpy()
    if bad.any():
        i = int(bad.argmax())
        value = col.iloc[i].strip()
        hint = " (a thousands separator? use --thousands ,)" if "," in value else ""
        raise DataError(
            f"{name}: value {value!r} in column '{value_col}' at line {col.index[i]} is not a number{hint}"
        )
    if not np.isfinite(numbers).any() and not (allow_empty and missing.all()):
        raise DataError(f"{name}: column '{value_col}' holds no finite number; pick another with --value-col")
    return numbers.to_numpy(dtype=np.float64)


def _cast_float(col: pd.Series) -> np.ndarray | None:
    """Arrow's cast of a whole text column to float64, or None if any cell is not a plain number.

    Arrow also reads '-nan', 'nAn' or 'nan(1)' as NaN; only the cells in ``_MISSING`` are
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
    if nan.any() and not col[nan].isin(_MISSING).all():
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
