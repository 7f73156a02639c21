"""Write output CSVs atomically and fast: a temporary file beside the target, then a rename.

``CsvWriter`` streams frames chunk by chunk (a 100,000-series forecast never sits in memory
as one frame); ``write_csv`` writes one frame. Numbers are written with 10 significant
digits, NaN as an empty cell, text unquoted unless a cell needs quotes. pyarrow formats the
numbers (pandas' per-cell formatting took most of the time for big outputs).
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
from pathlib import Path
from types import TracebackType
from typing import IO

import numpy as np
import pandas as pd

from forecast.core.errors import OutputError, UsageError
from forecast.data.dates import date_text

__all__ = ["CsvWriter", "write_csv", "pid_alive", "remove_stale_temporaries"]

_DIGITS = 10
_POW10 = 10.0 ** np.arange(23)  # the powers of ten a double holds exactly


class CsvWriter:
    """``with CsvWriter(path) as out: out.write(frame)``; the file appears only on success."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.target = Path(path)
        self.tmp = self.target.with_name(f".{self.target.name}.{os.getpid()}.tmp")
        self.rows = 0
        self._fh: IO[bytes] | None = None
        self._columns: list[str] | None = None

    def __enter__(self) -> CsvWriter:
        if self.target.is_dir():
            raise UsageError(f"{self.target}: is a directory; give a file name for the CSV")
        remove_stale_temporaries(self.target)
        try:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.tmp, "wb")  # noqa: SIM115 - closed in __exit__
        except OSError as exc:
            raise self._error(exc) from None
        return self

    def write(self, frame: pd.DataFrame) -> None:
        """Append ``frame``'s rows (the first frame's columns set the header)."""
        assert self._fh is not None, "use CsvWriter as a context manager"
        columns = [str(c) for c in frame.columns]
        if self._columns is None:
            self._columns = columns
            text = io.StringIO()
            csv.writer(text, lineterminator="\n").writerow(columns)
            self._put(text.getvalue().encode())
        elif columns != self._columns:
            raise ValueError(f"columns {columns} differ from the header {self._columns}")
        if len(frame):
            self._put(_csv_bytes(frame))
            self.rows += len(frame)

    def _put(self, payload: bytes) -> None:
        assert self._fh is not None
        try:
            self._fh.write(payload)
        except OSError as exc:
            raise self._error(exc) from None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if self._fh is not None:
                self._fh.close()
            if kind is None:
                os.replace(self.tmp, self.target)
        except OSError as err:
            raise self._error(err) from None
        finally:
            self.tmp.unlink(missing_ok=True)

    def _error(self, exc: OSError) -> OutputError | UsageError:
        return OutputError.of(exc, self.target) or UsageError(
            f"{self.target}: cannot be written ({exc.strerror or exc}); choose another path"
        )


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # someone else's process (or a pid we cannot ask about): keep its files
    return True


def remove_stale_temporaries(target: Path) -> None:
    """Remove ``.NAME.PID.tmp`` files that a killed writer of ``target`` left (its PID is gone)."""
    pattern = re.compile(rf"\.{re.escape(target.name)}\.(\d+)\.tmp")
    with contextlib.suppress(OSError):
        for entry in target.parent.iterdir():
            found = pattern.fullmatch(entry.name)
            if found and int(found.group(1)) != os.getpid() and not pid_alive(int(found.group(1))):
                with contextlib.suppress(OSError):
                    entry.unlink()


def write_csv(frame: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write ``frame`` to ``path`` atomically."""
    with CsvWriter(path) as out:
        out.write(frame)


def round_significant(values: np.ndarray, digits: int = _DIGITS) -> np.ndarray:
    """``values`` rounded to ``digits`` significant digits (non-finite values unchanged).

    Scaling by an exact power of ten (10**0 to 10**22) keeps the result the double nearest
    the rounded decimal, which prints short; outside that (below about 1e-13, above about
    1e31) each value goes through ``float(f"{x:.{digits}g}")``.
    """
    v = np.asarray(values, dtype=np.float64)
    with np.errstate(all="ignore"):
        # decimal places to keep (negative: digits to drop left of the point); inf or nan at 0, nan, inf
        shift = digits - 1 - np.floor(np.log10(np.abs(v)))
        exact = np.abs(shift) <= 22
        scale = _POW10[np.where(exact, np.abs(shift), 0).astype(np.int64)]
        out = np.round(v * scale) / scale
        down = np.flatnonzero(exact & (shift < 0))  # big values: divide, round, multiply back
        out[down] = np.round(v[down] / scale[down]) * scale[down]
    slow = np.flatnonzero(~exact & np.isfinite(v) & (v != 0))
    if len(slow):
        out[slow] = [float(f"{x:.{digits}g}") for x in v[slow]]
    return np.where(np.isfinite(out), out, v)  # near the largest double, rounding up overflows


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    """Rows without a header: pyarrow's writer, or pandas' where a cell needs quoting."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    arrays = {}
    for name, col in frame.items():
        if pd.api.types.is_float_dtype(col.dtype):
            arrays[str(name)] = pa.array(round_significant(col.to_numpy(dtype=np.float64)), from_pandas=True)
        elif pd.api.types.is_integer_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
            arrays[str(name)] = pa.array(col.to_numpy())
        elif pd.api.types.is_datetime64_any_dtype(col.dtype):
            dates = pd.DatetimeIndex(col)
            text = date_text(dates)
            arrays[str(name)] = pa.array(np.asarray(text, dtype=object), type=pa.string(), from_pandas=True)
        else:
            cells = col.to_numpy(dtype=object)
            blank = pd.isna(cells)
            text = np.where(blank, "", cells.astype(str)) if blank.any() else cells.astype(str)
            arrays[str(name)] = pa.array(text, type=pa.string())
    sink = io.BytesIO()
    try:
        options = pacsv.WriteOptions(include_header=False, quoting_style="none")
        pacsv.write_csv(pa.table(arrays), sink, write_options=options)
    except pa.ArrowInvalid:  # a comma, quote or line break in a cell: pandas quotes it
        return frame.to_csv(
            index=False, header=False, float_format=f"%.{_DIGITS}g", lineterminator="\n"
        ).encode()
    return sink.getvalue()
