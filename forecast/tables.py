"""A data file as columns: CSV (pyarrow's reader, pandas' where it balks) or Parquet.

Cells stay text (Arrow-backed strings) for CSV and keep their types for Parquet; the index
is each row's line number in the file (the header is line 1; Parquet rows count from 1).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.errors import DataError

__all__ = ["read_table"]

_SNIFF_BYTES = 64 * 1024


_PARQUET_SUFFIXES = (".parquet", ".pq")


def read_table(path: Path) -> pd.DataFrame:
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
