"""A data file as columns: CSV (pyarrow's reader, pandas' where it balks) or Parquet.

Cells stay text (Arrow-backed strings) for CSV and keep their types for Parquet; the index
is each row's line number in the file (the header is line 1; Parquet rows count from 1).
"""

from __future__ import annotations

import bz2
import contextlib
import csv
import gzip
import lzma
import re
import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

from forecast.core.config import MAX_COLUMNS
from forecast.core.errors import DataError

__all__ = ["read_table"]

_SNIFF_BYTES = 64 * 1024
MAX_LINE_BYTES = 1 << 20  # a header or data line longer than 1 MiB is no series layout
_PARQUET_SUFFIXES = (".parquet", ".pq")
_EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods", ".numbers")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls (and other old Office files)
_COMPRESSION_MAGIC = {
    b"\x1f\x8b": "gzip",
    b"BZh": "bz2",
    b"\xfd7zXZ\x00": "xz",
    b"\x28\xb5\x2f\xfd": "zstd",
    b"PK\x03\x04": "zip",
}
_DECOMPRESS_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    EOFError,
    zlib.error,
    lzma.LZMAError,
    zipfile.BadZipFile,
)


def read_table(path: Path) -> pd.DataFrame:
    """The file as columns indexed by each row's line number, blank rows dropped.

    CSV cells stay text (Arrow-backed strings: compact, vectorised) until parsed; Parquet
    columns keep their types, and its "line" numbers are row numbers counted from 1. CSV
    files may be compressed (gzip, bz2, xz, zstd, or a zip holding one file); Excel files are
    refused. A line over ``MAX_LINE_BYTES`` or more than ``config.MAX_COLUMNS`` columns is
    refused before anything is parsed.
    """
    magic = _magic(path)
    if magic.startswith(b"PAR1") or path.suffix.lower() in _PARQUET_SUFFIXES:
        return _read_parquet(path)
    kind = next((k for m, k in _COMPRESSION_MAGIC.items() if magic.startswith(m)), None)
    if path.suffix.lower() in _EXCEL_SUFFIXES or magic.startswith(_OLE_MAGIC) or _is_office_zip(path, kind):
        raise DataError(f"{path}: Excel files are not read: save as CSV (UTF-8) and give that file")
    text = _head_text(path, kind)
    lines = re.split(r"\r\n|\r|\n", text)  # the line breaks pandas knows, not str.splitlines' extras
    skip = next((i for i, ln in enumerate(lines) if ln.strip()), 0)  # blank lines above the header
    _check_size(path, lines, skip)
    _check_columns(path, lines[skip], skip)  # before the sniffer reads a huge header
    sep = _sniff_separator(lines[skip:])
    raw = _read_csv_arrow(path, kind, sep, skip, lines[skip])
    if raw is None:  # anything unusual: pandas' parser, which also words the errors
        raw = _read_csv_pandas(path, kind, sep, skip)
    raw.columns = _names(path, raw.columns)
    raw.index = raw.index + skip + 2
    blank = np.ones(len(raw), dtype=bool)
    for col in raw.columns:
        blank &= _blank_cells(raw[col])
    if blank.any():
        raw = raw[~blank]  # blank or all-empty rows
    if raw.empty:
        raise DataError(f"{path}: has a header but no data rows")
    return raw


def _magic(path: Path) -> bytes:
    """The first 8 bytes of ``path``, after checking it is a readable regular file."""
    try:
        if not path.exists():
            raise DataError(f"{path}: no such file; check the path")
        if path.is_dir():
            raise DataError(f"{path}: is a directory, not a CSV file")
        if not path.is_file():
            raise DataError(f"{path}: is not a regular file; give the path of a CSV file")
        with open(path, "rb") as fh:
            return fh.read(8)
    except OSError as exc:
        raise DataError(
            f"{path}: cannot be read ({exc.strerror or exc}); check the path and its permissions"
        ) from None


def _head_text(path: Path, kind: str | None) -> str:
    """The start of the (decompressed) file as text, the whole header line at least; DataError
    for UTF-16, binary, non-UTF-8 or empty files."""
    try:
        with _open(path, kind) as fh:
            head = fh.read(_SNIFF_BYTES)
            more = b""
            while (
                b"\n" not in head.lstrip(b"\r\n\t ")
                and b"\r" not in head.lstrip(b"\r\n\t ")
                and (more := fh.read(_SNIFF_BYTES))
            ):
                head += more  # a header longer than the sniffed bytes: read it whole, up to the limit
                if len(head) > MAX_LINE_BYTES + _SNIFF_BYTES:
                    break
    except _DECOMPRESS_ERRORS as exc:
        raise DataError(f"{path}: cannot be decompressed as {kind} ({exc}); check the file") from None
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataError(f"{path}: is UTF-16 text; save it as UTF-8 CSV")
    if b"\x00" in head:
        raise DataError(f"{path}: looks like a binary file, not a CSV text file")
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if len(head) >= _SNIFF_BYTES and exc.start >= len(head) - 4:
            text = head[: exc.start].decode("utf-8-sig")  # a character cut at the edge
        else:
            raise DataError(
                f"{path}: is not UTF-8 text (bad byte at offset {exc.start}); save it as UTF-8 CSV"
            ) from None
    if not text.strip():
        raise DataError(f"{path}: the file is empty; expected a CSV with a header row")
    return text


def _open(path: Path, kind: str | None) -> BinaryIO:
    """The file's bytes, decompressed: gzip, bz2, xz and zip by Python, zstd by Arrow."""
    if kind == "gzip":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    if kind == "bz2":
        return bz2.open(path, "rb")  # type: ignore[return-value]
    if kind == "xz":
        return lzma.open(path, "rb")  # type: ignore[return-value]
    if kind == "zstd":
        import pyarrow as pa

        return pa.CompressedInputStream(pa.OSFile(str(path)), "zstd")  # type: ignore[return-value]
    if kind == "zip":
        archive = zipfile.ZipFile(path)
        names = [n for n in archive.namelist() if not n.endswith("/") and not n.startswith("__MACOSX/")]
        if len(names) != 1:
            archive.close()
            raise DataError(f"{path}: the zip file holds {len(names)} files; it must hold exactly one CSV")
        return archive.open(names[0])
    return open(path, "rb")


def _is_office_zip(path: Path, kind: str | None) -> bool:
    """An .xlsx or .ods workbook (a zip of XML parts), whatever its name."""
    if kind != "zip":
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except _DECOMPRESS_ERRORS:
        return False
    return "[Content_Types].xml" in names or "xl/workbook.xml" in names or "mimetype" in names


def _check_size(path: Path, lines: list[str], skip: int) -> None:
    """DataError for a header line over ``MAX_LINE_BYTES`` (a 50 MB one-line file, say)."""
    longest = max(range(skip, len(lines)), key=lambda i: len(lines[i]))
    if len(lines[longest].encode("utf-8")) > MAX_LINE_BYTES:
        raise DataError(
            f"{path}: line {longest + 1} is longer than {MAX_LINE_BYTES >> 20} MiB; no series layout "
            "needs lines that long (check the line breaks, or that this is the data file)"
        )


def _check_columns(path: Path, header: str, skip: int) -> None:
    """DataError for more columns than any series layout needs (``config.MAX_COLUMNS``)."""
    sep = max(",;\t|", key=header.count)
    count = header.count(sep) + 1  # an upper bound (quoted separators count too): exact below
    if count > MAX_COLUMNS:
        try:
            count = len(next(csv.reader([header], delimiter=sep)))
        except (csv.Error, StopIteration):
            pass
    if count > MAX_COLUMNS:
        raise DataError(
            f"{path}: the header (line {skip + 1}) has {count:,} columns; at most {MAX_COLUMNS:,} are read "
            "(a wide file holds one series per column: split it, or write it long with --id-col)"
        )


def _names(path: Path, columns: pd.Index) -> list[str]:
    """Column names without surrounding spaces; DataError if two are then the same."""
    names = [str(c).strip() for c in columns]
    seen: set[str] = set()
    for raw, name in zip(columns, names):
        if name in seen:
            raise DataError(
                f"{path}: the header names column {name!r} twice (as {str(raw)!r} too, once spaces "
                "are trimmed); rename one of them"
            )
        seen.add(name)
    return names


def _blank_cells(col: pd.Series) -> np.ndarray:
    """Empty or all-space cells, without a stripped copy of a big column."""
    if isinstance(col.dtype, pd.StringDtype) and col.dtype.storage == "pyarrow":
        import pyarrow.compute as pc

        arr = col.array.__arrow_array__()
        blank = pc.or_(pc.equal(pc.utf8_length(arr), 0), pc.utf8_is_space(arr))
        return blank.to_numpy(zero_copy_only=False)
    return (col.str.strip() == "").to_numpy()


def _read_csv_arrow(path: Path, kind: str | None, sep: str, skip: int, header: str) -> pd.DataFrame | None:
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
        with _open(path, kind) if kind else contextlib.nullcontext(path) as source:
            table = pacsv.read_csv(
                source,
                read_options=pacsv.ReadOptions(skip_rows=skip, block_size=1 << 22),
                parse_options=pacsv.ParseOptions(delimiter=sep, ignore_empty_lines=False),
                convert_options=pacsv.ConvertOptions(
                    column_types={n: pa.large_string() for n in names}, strings_can_be_null=False
                ),
            )
    except (pa.ArrowException, ValueError, *_DECOMPRESS_ERRORS):
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


def _read_csv_pandas(path: Path, kind: str | None, sep: str, skip: int) -> pd.DataFrame:
    try:
        with _open(path, kind) as source:
            raw = pd.read_csv(
                source,
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
    except _DECOMPRESS_ERRORS as exc:
        raise DataError(f"{path}: cannot be read or decompressed ({exc}); check the file") from None
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
        columns = pq.read_metadata(path).num_columns
        if columns > MAX_COLUMNS:
            raise DataError(
                f"{path}: has {columns:,} columns; at most {MAX_COLUMNS:,} are read "
                "(a wide file holds one series per column: split it, or write it long with --id-col)"
            )
        table = pq.read_table(path)
    except (pa.ArrowException, OSError, ValueError) as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{path}: cannot be read as Parquet ({detail})") from None
    text = pd.StringDtype("pyarrow", na_value=np.nan)
    raw = table.to_pandas(types_mapper={pa.string(): text, pa.large_string(): text}.get)
    raw.columns = _names(path, raw.columns)
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
