"""The CSV loader: every bad input is a DataError naming the file; good input loads exactly."""

from __future__ import annotations

import math
import os
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import SAMPLE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forecast.core.choices import Fill
from forecast.core.config import DataConfig
from forecast.core.errors import DataError, UsageError
from forecast.data.dataset import Dataset, file_sha256, read
from forecast.data.frequency import season_length

FILLS = [Fill.ffill, Fill.interpolate, Fill.zero]


def _write(tmp_path: Path, content: str | bytes, name: str = "data.csv") -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def _read(path: Path, **kwargs: object) -> Dataset:
    return read(DataConfig(path=str(path), **kwargs))  # type: ignore[arg-type]


def _monthly(values: list[str], start: str = "2020-01-01", header: str = "date,value") -> str:
    dates = pd.date_range(start, periods=len(values), freq="MS").strftime("%Y-%m-%d")
    return header + "\n" + "".join(f"{d},{v}\n" for d, v in zip(dates, values, strict=True))


def _file(path: Path) -> str:
    return re.escape(str(path))


# --- the real sample --------------------------------------------------------------------------


def test_sample_file_loads() -> None:
    ds = _read(SAMPLE)
    assert len(ds.frame) == 367
    assert ds.freq == "MS"
    assert ds.season == 12
    assert ds.date_col == "DATE"
    assert ds.value_col == "S4248SM144NCEN"
    assert list(ds.frame.columns) == ["unique_id", "ds", "y"]
    assert ds.dates[0] == pd.Timestamp("1992-01-01")
    assert ds.values[:3].tolist() == [3459.0, 3458.0, 4002.0]
    assert ds.warnings == []
    assert ds.sha256 == file_sha256(SAMPLE)
    assert not np.isnan(ds.values).any()


# --- the file itself --------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    with pytest.raises(DataError, match=_file(path) + ".*no such file"):
        _read(path)


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=_file(tmp_path) + ".*is a directory"):
        _read(tmp_path)


def test_not_a_regular_file() -> None:
    if not Path("/dev/null").exists():
        pytest.skip("no /dev/null here")
    with pytest.raises(DataError, match="/dev/null.*not a regular file"):
        _read(Path("/dev/null"))


def test_path_too_long(tmp_path: Path) -> None:
    path = tmp_path / ("x" * 5000)
    with pytest.raises(DataError, match=_file(path) + ".*cannot be read"):
        _read(path)


def test_unreadable_file(tmp_path: Path) -> None:
    path = _write(tmp_path, _monthly(["1", "2", "3"]))
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as root: chmod 000 does not stop reading")
        with pytest.raises(DataError, match=_file(path) + ".*cannot be read.*permissions"):
            _read(path)
    finally:
        path.chmod(0o644)


def test_unreadable_file_simulated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same check where chmod cannot stop root: open() itself refuses."""
    path = _write(tmp_path, _monthly(["1", "2", "3"]))

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("forecast.data.tables.open", refuse, raising=False)
    with pytest.raises(DataError, match=_file(path) + r".*cannot be read \(Permission denied\).*permissions"):
        _read(path)


@pytest.mark.parametrize("content", ["", "\n\n", "  \n \r\n"])
def test_empty_file(tmp_path: Path, content: str) -> None:
    path = _write(tmp_path, content)
    with pytest.raises(DataError, match=_file(path) + ".*empty"):
        _read(path)


@pytest.mark.parametrize("content", ["date,value\n", "date,value", "date,value\n\n\n", "date,value\n,\n"])
def test_header_only(tmp_path: Path, content: str) -> None:
    path = _write(tmp_path, content)
    with pytest.raises(DataError, match=_file(path) + ".*header but no data rows"):
        _read(path)


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"\xff\xd8\xff\xe0garbage\x80\x81\x82", "not UTF-8"),
        (bytes(range(256)) * 4, "binary"),
        ("date,value\n2020-01-01,1\n".encode("utf-16"), "UTF-16"),
        ("date,value\n2020-01-01,1\n2020-02-01,2\n2020-03-01,3\n# café\n".encode("latin-1"), "not UTF-8"),
    ],
)
def test_binary_or_wrong_encoding(tmp_path: Path, content: bytes, why: str) -> None:
    path = _write(tmp_path, content)
    with pytest.raises(DataError, match=_file(path) + ".*" + why):
        _read(path)


def test_non_utf8_after_the_sniffed_head(tmp_path: Path) -> None:
    body = _monthly([str(i) for i in range(3000)])  # well past the 64 KiB sniffed at the start
    path = _write(tmp_path, body.encode() + "2270-01-01,caf\xe9\n".encode("latin-1"))
    with pytest.raises(DataError, match=_file(path) + ".*not UTF-8"):
        _read(path)


def test_unbalanced_quote(tmp_path: Path) -> None:
    path = _write(tmp_path, 'date,value\n"2020-01-01,1\n2020-02-01,2\n')
    with pytest.raises(DataError, match=_file(path) + ".*cannot be parsed as CSV"):
        _read(path)


def test_ragged_rows(tmp_path: Path) -> None:
    path = _write(tmp_path, "date,value\n2020-01-01,1\n2020-02-01,2,9,9\n2020-03-01,3\n")
    with pytest.raises(DataError, match=_file(path) + ".*cannot be parsed as CSV.*line 3"):
        _read(path)


def test_more_fields_than_header_is_not_an_index(tmp_path: Path) -> None:
    # pandas would silently take the first column as the index and shift every name
    path = _write(tmp_path, "date,value\n2020-01-01,1,5\n2020-02-01,2,6\n2020-03-01,3,7\n")
    with pytest.raises(DataError, match=_file(path) + ".*line 2 has 3 fields.*header has 2"):
        _read(path)


# --- picking the columns ----------------------------------------------------------------------


def test_no_date_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "a,b\n1,2\n3,4\n5,6\n")
    with pytest.raises(DataError, match=_file(path) + r".*no date column.*\['a', 'b'\].*--date-col"):
        _read(path)


def test_no_numeric_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "date,name,city\n2020-01-01,x,y\n2020-02-01,x,y\n2020-03-01,x,y\n")
    with pytest.raises(
        DataError, match=_file(path) + r".*no numeric value column.*\['name', 'city'\].*--value-col"
    ):
        _read(path)


def test_only_a_date_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "date\n2020-01-01\n2020-02-01\n2020-03-01\n")
    with pytest.raises(DataError, match=_file(path) + r".*only column.*'date'.*value column"):
        _read(path)


def test_several_numeric_columns(tmp_path: Path) -> None:
    path = _write(tmp_path, "date,a,b\n2020-01-01,1,2\n2020-02-01,3,4\n2020-03-01,5,6\n")
    with pytest.raises(DataError, match=_file(path) + r".*several numeric columns \['a', 'b'\].*--value-col"):
        _read(path)


def test_value_col_picks_one_of_several(tmp_path: Path) -> None:
    path = _write(tmp_path, "date,a,b\n2020-01-01,1,2\n2020-02-01,3,4\n2020-03-01,5,6\n")
    ds = _read(path, value_col="b")
    assert ds.value_col == "b"
    assert ds.values.tolist() == [2.0, 4.0, 6.0]
    assert ds.frame["unique_id"].unique().tolist() == ["b"]


def test_date_col_by_content_and_by_flag(tmp_path: Path) -> None:
    path = _write(tmp_path, "when,sales\n2020-01-01,1\n2020-02-01,2\n2020-03-01,3\n")
    assert _read(path).date_col == "when"
    assert _read(path, date_col="when", value_col="sales").values.tolist() == [1.0, 2.0, 3.0]


@pytest.mark.parametrize(
    ("flag", "kwargs"), [("--date-col", {"date_col": "day"}), ("--value-col", {"value_col": "sales"})]
)
def test_named_column_missing(tmp_path: Path, flag: str, kwargs: dict[str, str]) -> None:
    path = _write(tmp_path, _monthly(["1", "2", "3"]))
    name = next(iter(kwargs.values()))
    with pytest.raises(
        DataError, match=_file(path) + rf".*no column '{name}' \({flag}\); columns are \['date', 'value'\]"
    ):
        _read(path, **kwargs)


def test_same_column_for_date_and_value(tmp_path: Path) -> None:
    path = _write(tmp_path, _monthly(["1", "2", "3"]))
    with pytest.raises(DataError, match=_file(path) + ".*'date' is both --date-col and --value-col"):
        _read(path, date_col="date", value_col="date")


# --- dates ------------------------------------------------------------------------------------


def test_unparsable_date(tmp_path: Path) -> None:
    path = _write(tmp_path, "date,value\n2020-01-01,1\n2020-02-01,2\nnot-a-date,3\n2020-04-01,4\n")
    with pytest.raises(
        DataError, match=_file(path) + r".*cannot parse date 'not-a-date' in column 'date' at line 4"
    ):
        _read(path)


def test_impossible_date(tmp_path: Path) -> None:
    path = _write(tmp_path, "date,value\n2020-01-01,1\n2020-02-30,2\n2020-03-01,3\n")
    with pytest.raises(DataError, match=r"cannot parse date '2020-02-30' .* at line 3"):
        _read(path)


def test_mixed_format_dates(tmp_path: Path) -> None:
    path = _write(tmp_path, "date,value\n2020-01-01,1\n2020-02-01,2\n03/01/2020,3\n2020-04-01,4\n")
    with pytest.raises(
        DataError, match=_file(path) + r".*cannot parse date '03/01/2020'.*line 4.*one format"
    ):
        _read(path)


def test_mixed_timezones(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "date,value\n2020-01-01T00:00+01:00,1\n2020-01-01T01:00+01:00,2\n2020-01-01T02:00,3\n"
    )
    with pytest.raises(DataError, match=_file(path) + r".*cannot parse date '2020-01-01T02:00'.*line 4"):
        _read(path)


def test_one_timezone_keeps_local_time(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "date,value\n2020-01-01T01:00+01:00,1\n2020-01-01T02:00+01:00,2\n2020-01-01T03:00+01:00,3\n"
    )
    ds = _read(path)
    assert ds.freq == "h"
    assert ds.dates[0] == pd.Timestamp("2020-01-01 01:00")


BERLIN_DAYS = pd.date_range("2020-03-20", "2020-04-05", freq="D", tz="Europe/Berlin")  # DST starts 03-29


def test_local_midnights_across_dst_stay_daily_from_parquet(tmp_path: Path) -> None:
    frame = pd.DataFrame({"date": BERLIN_DAYS, "value": np.arange(len(BERLIN_DAYS), dtype=float)})
    frame.to_parquet(tmp_path / "p.parquet", index=False)
    ds = _read(tmp_path / "p.parquet")
    assert ds.freq == "D" and not ds.warnings
    assert list(ds.dates) == list(BERLIN_DAYS.tz_localize(None))


def test_local_midnights_across_dst_stay_daily_from_csv_offsets(tmp_path: Path) -> None:
    text = "".join(f"{d.isoformat()},{i}\n" for i, d in enumerate(BERLIN_DAYS))  # +01:00 then +02:00
    assert "2020-03-29T00:00:00+01:00" in text and "2020-03-30T00:00:00+02:00" in text
    ds = _read(_write(tmp_path, "date,value\n" + text))
    assert ds.freq == "D" and not ds.warnings
    assert list(ds.dates) == list(BERLIN_DAYS.tz_localize(None))


@pytest.mark.parametrize("source", ["parquet", "csv"])
def test_hourly_data_across_dst_stays_hourly(tmp_path: Path, source: str) -> None:
    hours = pd.date_range("2020-10-24 12:00", periods=36, freq="h", tz="UTC").tz_convert("Europe/Berlin")
    frame = pd.DataFrame({"date": hours, "value": np.arange(36.0)})  # 02:00 twice on 10-25: the autumn change
    if source == "parquet":
        path = tmp_path / "p.parquet"
        frame.to_parquet(path, index=False)
    else:
        path = _write(tmp_path, "date,value\n" + "".join(f"{d.isoformat()},{v}\n" for d, v in frame.values))
    ds = _read(path)
    assert ds.freq == "h" and len(ds.frame) == 36  # wall time would repeat 02:00: read in UTC instead
    assert ds.dates[0] == pd.Timestamp("2020-10-24 12:00")


def test_empty_date(tmp_path: Path) -> None:
    path = _write(tmp_path, "date,value\n2020-01-01,1\n,2\n2020-03-01,3\n")
    with pytest.raises(DataError, match=_file(path) + r".*empty date in column 'date' at line 3"):
        _read(path)


def test_duplicate_dates(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "date,value\n2020-01-01,1\n2020-02-01,2\n2020-02-01,3\n2020-03-01,4\n2020-03-01,5\n"
    )
    with pytest.raises(
        DataError, match=_file(path) + r".*duplicate date 2020-02-01 in column 'date' \(line 4\)"
    ):
        _read(path)


def test_unsorted_dates_are_sorted_with_one_warning(tmp_path: Path) -> None:
    path = _write(tmp_path, "date,value\n2020-03-01,3\n2020-01-01,1\n2020-04-01,4\n2020-02-01,2\n")
    ds = _read(path)
    assert ds.values.tolist() == [1.0, 2.0, 3.0, 4.0]
    assert ds.frame["ds"].is_monotonic_increasing
    assert len(ds.warnings) == 1
    assert "not in order" in ds.warnings[0]


def test_too_few_rows(tmp_path: Path) -> None:
    path = _write(tmp_path, _monthly(["1", "2"]))
    with pytest.raises(DataError, match=_file(path) + ".*2 data row.*at least 3"):
        _read(path)


# --- gaps, missing and infinite values -------------------------------------------------------

GAP = "date,value\n2020-01-01,1\n2020-02-01,2\n2020-05-01,8\n2020-06-01,10\n"
GAP_FILLED = {
    Fill.ffill: [1, 2, 2, 2, 8, 10],
    Fill.interpolate: [1, 2, 4, 6, 8, 10],
    Fill.zero: [1, 2, 0, 0, 8, 10],
}


def test_gap_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path, GAP)
    with pytest.raises(
        DataError,
        match=_file(path) + r".*gap in the MS series: 2 missing date\(s\), first 2020-03-01.*--fill",
    ):
        _read(path)


@pytest.mark.parametrize("fill", FILLS)
def test_gap_filled(tmp_path: Path, fill: Fill) -> None:
    ds = _read(_write(tmp_path, GAP), fill=fill)
    assert ds.values.tolist() == GAP_FILLED[fill]
    assert ds.dates.tolist() == list(pd.date_range("2020-01-01", periods=6, freq="MS"))
    assert len(ds.warnings) == 1
    assert "filled 2 missing value(s)" in ds.warnings[0]


@pytest.mark.parametrize("cell", ["", "NaN", "nan", "NA", "null", "None", "  "])
def test_missing_value_is_an_error(tmp_path: Path, cell: str) -> None:
    path = _write(tmp_path, _monthly(["1", "2", cell, "4"]))
    with pytest.raises(
        DataError, match=_file(path) + r".*empty or NaN value in column 'value' at line 4 \(date 2020-03-01\)"
    ):
        _read(path)


@pytest.mark.parametrize(
    ("fill", "expected"),
    [(Fill.ffill, [1, 2, 2, 2, 5]), (Fill.interpolate, [1, 2, 3, 4, 5]), (Fill.zero, [1, 2, 0, 0, 5])],
)
def test_missing_values_filled(tmp_path: Path, fill: Fill, expected: list[float]) -> None:
    ds = _read(_write(tmp_path, _monthly(["1", "2", "", "NaN", "5"])), fill=fill)
    assert ds.values.tolist() == expected
    assert ds.warnings == [f"{tmp_path / 'data.csv'}: filled 2 missing value(s) with --fill {fill.value}"]


@pytest.mark.parametrize(
    ("fill", "expected"),
    [(Fill.ffill, [3, 3, 3, 4]), (Fill.interpolate, [3, 3, 3, 4]), (Fill.zero, [0, 0, 3, 4])],
)
def test_leading_missing_values_filled(tmp_path: Path, fill: Fill, expected: list[float]) -> None:
    ds = _read(_write(tmp_path, _monthly(["", "", "3", "4"])), fill=fill)
    assert ds.values.tolist() == expected


@pytest.mark.parametrize("fill", [Fill.none, *FILLS])
def test_no_values_at_all(tmp_path: Path, fill: Fill) -> None:
    path = _write(tmp_path, _monthly(["", "", "", ""]))
    with pytest.raises(DataError, match=_file(path) + ".*'value'"):
        _read(path, fill=fill)


@pytest.mark.parametrize("cell", ["inf", "-inf", "Infinity", "1e999"])
def test_infinite_value(tmp_path: Path, cell: str) -> None:
    path = _write(tmp_path, _monthly(["1", "2", cell, "4"]))
    with pytest.raises(
        DataError,
        match=_file(path) + r".*infinite value in column 'value' at line 4 \(date 2020-03-01\).*--fill",
    ):
        _read(path)


@pytest.mark.parametrize(
    ("fill", "expected"),
    [(Fill.ffill, [1, 2, 2, 4]), (Fill.interpolate, [1, 2, 3, 4]), (Fill.zero, [1, 2, 0, 4])],
)
def test_infinite_value_filled(tmp_path: Path, fill: Fill, expected: list[float]) -> None:
    ds = _read(_write(tmp_path, _monthly(["1", "2", "inf", "4"])), fill=fill)
    assert ds.values.tolist() == expected
    assert len(ds.warnings) == 1


# --- values -----------------------------------------------------------------------------------


def test_thousands_separator_is_an_error_with_a_hint(tmp_path: Path) -> None:
    path = _write(tmp_path, 'date,value\n2020-01-01,"1,234"\n2020-02-01,"2,345"\n2020-03-01,"3,456"\n')
    with pytest.raises(
        DataError,
        match=_file(path) + r".*value '1,234' in column 'value' at line 2 is not a number.*--thousands",
    ):
        _read(path)


def test_thousands_separator_one_bad_line(tmp_path: Path) -> None:
    path = _write(tmp_path, 'date,value\n2020-01-01,999\n2020-02-01,"1,234"\n2020-03-01,998\n')
    with pytest.raises(DataError, match=r"value '1,234' .* at line 3 .*--thousands"):
        _read(path)


def test_thousands_quoted_comma_csv(tmp_path: Path) -> None:
    path = _write(tmp_path, 'date,value\n2020-01-01,"1,234"\n2020-02-01,"2,345.5"\n2020-03-01,"1,000,000"\n')
    assert _read(path, thousands=",").values.tolist() == [1234.0, 2345.5, 1_000_000.0]


def test_thousands_semicolon_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "date;value\n2020-01-01;1,234\n2020-02-01;2,345\n2020-03-01;3\n")
    with pytest.raises(DataError, match="value '1,234'.*line 2.*--thousands"):
        _read(path)
    assert _read(path, thousands=",").values.tolist() == [1234.0, 2345.0, 3.0]


def test_thousands_dot_separator(tmp_path: Path) -> None:
    path = _write(tmp_path, "date;value\n2020-01-01;1.234\n2020-02-01;2.345.678\n2020-03-01;3\n")
    assert _read(path, thousands=".").values.tolist() == [1234.0, 2345678.0, 3.0]


@pytest.mark.parametrize("cell", ["abc", "12abc", "$5", "n/a!"])  # n/a, -, N/A: missing (test_reading)
def test_non_numeric_value(tmp_path: Path, cell: str) -> None:
    path = _write(tmp_path, _monthly(["1", "2", cell, "4"]))
    with pytest.raises(
        DataError,
        match=_file(path) + rf".*value '{re.escape(cell)}' in column 'value' at line 4 is not a number",
    ):
        _read(path)


ODD_CELLS = [
    "nan",
    "NaN",
    "-nan",
    "+nan",
    "nAn",
    "-NaN",
    "nan(1)",
    "NA",
    "null",
    "None",
    "inf",
    "-inf",
    "iNf",
]
ODD_CELLS += ["Infinity", "1e999", "1e-999", "-0", "00012", "+5", "5.", ".5", "1.5e", "0x10", "1_000", "snan"]


@pytest.mark.parametrize("cell", ODD_CELLS)
@pytest.mark.parametrize("fill", [Fill.none, Fill.ffill])
def test_arrow_cast_agrees_with_pandas_on_odd_cells(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cell: str, fill: Fill
) -> None:
    from forecast.data import cells

    def outcome() -> object:
        try:
            return _read(path, fill=fill).values.tolist()
        except DataError as exc:
            return str(exc)

    path = _write(tmp_path, _monthly(["1", "2", cell, "4", "5"]))
    fast = outcome()
    monkeypatch.setattr(cells, "_cast_float", lambda col: None)  # the pandas-only parse of old
    monkeypatch.setattr(
        cells, "_to_float", lambda text: pd.to_numeric(text, errors="coerce").astype(np.float64)
    )
    slow = outcome()
    assert fast == slow
    if "nan" in cell.lower() and cell not in cells.MISSING:  # NaN spelt otherwise than the missing markers
        assert fast == slow and fast.startswith(
            f"{path}: value {cell!r} in column 'value' at line 4 is not a number"
        )


def test_numbers_in_many_spellings(tmp_path: Path) -> None:
    path = _write(tmp_path, _monthly(["1", " 2.5 ", "-3", "1e3", "+4", ".5"]))
    assert _read(path).values.tolist() == [1.0, 2.5, -3.0, 1000.0, 4.0, 0.5]


# --- file dialects ----------------------------------------------------------------------------

EXPECTED = [1.0, 2.5, 3.0]


@pytest.mark.parametrize(
    "content",
    [
        "date;value\n2020-01-01;1\n2020-02-01;2.5\n2020-03-01;3\n",
        "date\tvalue\n2020-01-01\t1\n2020-02-01\t2.5\n2020-03-01\t3\n",
        "date|value\n2020-01-01|1\n2020-02-01|2.5\n2020-03-01|3\n",
        "date,value\r\n2020-01-01,1\r\n2020-02-01,2.5\r\n2020-03-01,3\r\n",
        '"date","value"\n"2020-01-01","1"\n"2020-02-01","2.5"\n"2020-03-01","3"\n',
        "\ufeffdate,value\n2020-01-01,1\n2020-02-01,2.5\n2020-03-01,3\n",
        "\ufeffdate;value\r\n2020-01-01;1\r\n2020-02-01;2.5\r\n2020-03-01;3\r\n",
        " date , value \n 2020-01-01 , 1 \n2020-02-01, 2.5\n2020-03-01,3",
        "date,value\n2020-01-01,1\n\n2020-02-01,2.5\n2020-03-01,3\n\n\n",
        "date,value\n2020-01-01,1\n2020-02-01,2.5\n2020-03-01,3\n,\n",
    ],
    ids=[
        "semicolon",
        "tab",
        "pipe",
        "crlf",
        "quoted",
        "bom",
        "bom-semicolon-crlf",
        "spaces",
        "blank-lines",
        "trailing-empty-row",
    ],
)
def test_dialects(tmp_path: Path, content: str) -> None:
    ds = _read(_write(tmp_path, content))
    assert (ds.date_col, ds.value_col) == ("date", "value")
    assert ds.values.tolist() == EXPECTED
    assert ds.freq == "MS"


def test_blank_lines_keep_line_numbers(tmp_path: Path) -> None:
    path = _write(tmp_path, "date,value\n2020-01-01,1\n\n2020-02-01,x\n2020-03-01,3\n")
    with pytest.raises(DataError, match=r"value 'x' in column 'value' at line 4"):
        _read(path)


def test_quoted_field_with_delimiter_in_other_column(tmp_path: Path) -> None:
    path = _write(
        tmp_path, 'date,note,value\n2020-01-01,"a, b",1\n2020-02-01,"c",2\n2020-03-01,"d ""q""",3\n'
    )
    ds = _read(path)
    assert ds.value_col == "value"
    assert ds.values.tolist() == [1.0, 2.0, 3.0]


def test_no_pandas_warnings_leak(tmp_path: Path) -> None:
    path = _write(tmp_path, "date,value\n1,1\n2,2\n3,3\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DataError):
            _read(path)
        _read(SAMPLE)


# --- frequency --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("freq", "fmt", "expected", "season"),
    [
        ("D", "%Y-%m-%d", "D", 7),
        ("W-SUN", "%Y-%m-%d", "W-SUN", 52),
        ("W-MON", "%Y-%m-%d", "W-MON", 52),
        ("QS", "%Y-%m-%d", "QS-JAN", 4),
        ("h", "%Y-%m-%d %H:%M", "h", 24),
        ("MS", "%Y-%m", "MS", 12),
        ("ME", "%Y-%m-%d", "ME", 12),
        ("YS", "%Y", "YS-JAN", 1),
        ("B", "%Y-%m-%d", "B", 5),
    ],
)
def test_frequency_inference(tmp_path: Path, freq: str, fmt: str, expected: str, season: int) -> None:
    dates = pd.date_range("2021-01-04", periods=30, freq=freq).strftime(fmt)
    path = _write(tmp_path, "date,value\n" + "".join(f"{d},{i}\n" for i, d in enumerate(dates)))
    ds = _read(path)
    assert (ds.freq, ds.season) == (expected, season)
    assert len(ds.frame) == 30


@pytest.mark.parametrize("header", ["date,value", "year,value", "Year,value"])
def test_plain_years(tmp_path: Path, header: str) -> None:
    path = _write(tmp_path, f"{header}\n1990,5\n1991,6\n1992,7\n1993,8\n")
    ds = _read(path)
    assert ds.season == 1
    assert ds.freq.startswith("YS")
    assert ds.dates.year.tolist() == [1990, 1991, 1992, 1993]


def test_inferred_frequency_with_gaps(tmp_path: Path) -> None:
    path = _write(tmp_path, "date,value\n2020-01-01,1\n2020-03-01,3\n2020-04-01,4\n2020-07-01,7\n")
    with pytest.raises(DataError, match="gap in the MS series: 3 missing"):
        _read(path)
    assert _read(path, fill=Fill.interpolate).values.tolist() == [1, 2, 3, 4, 5, 6, 7]


def test_explicit_freq_override(tmp_path: Path) -> None:
    path = _write(tmp_path, "date,value\n2020-01-01,1\n2020-01-03,3\n2020-01-05,5\n2020-01-07,7\n")
    assert _read(path).freq == "2D"
    with pytest.raises(DataError, match="gap in the D series: 3 missing date\\(s\\), first 2020-01-02"):
        _read(path, freq="D")
    ds = _read(path, freq="D", fill=Fill.interpolate)
    assert (ds.freq, ds.season) == ("D", 7)
    assert ds.values.tolist() == [1, 2, 3, 4, 5, 6, 7]


def test_explicit_freq_off_grid(tmp_path: Path) -> None:
    path = _write(tmp_path, "date,value\n2020-01-01,1\n2020-02-01,2\n2020-03-15,3\n")
    with pytest.raises(
        DataError, match=_file(path) + r".*date 2020-03-15 \(line 4\) is not on the MS grid.*--freq"
    ):
        _read(path, freq="MS")


@pytest.mark.parametrize("freq", ["fortnightly", "0D", "-1D"])
def test_explicit_freq_invalid(tmp_path: Path, freq: str) -> None:
    path = _write(tmp_path, _monthly(["1", "2", "3"]))
    with pytest.raises(UsageError, match="--freq .*; use a word .*monthly"):  # a bad option: exit 2
        _read(path, freq=freq)


def test_irregular_dates(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "date,value\n2020-01-01 00:00:00,1\n2020-01-01 00:00:07,2\n2020-01-01 00:00:10,3\n"
    )
    ds = _read(path, fill=Fill.zero)  # the coarsest grid holding every date is seconds
    assert ds.freq == "s"
    assert len(ds.frame) == 11


def test_huge_date_span_is_an_error_not_a_memory_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "date,value\n2020-01-01 00:00:01,1\n2020-01-01 00:00:02,2\n9999-01-01,3\n")
    with pytest.raises(DataError, match=_file(path)):
        _read(path, fill=Fill.ffill)


def test_huge_grid_from_explicit_freq(tmp_path: Path) -> None:
    path = _write(tmp_path, "date,value\n1900-01-01,1\n1950-01-01,2\n2000-01-01,3\n")
    with pytest.raises(DataError, match=_file(path) + ".*--freq"):
        _read(path, freq="s", fill=Fill.ffill)


@pytest.mark.parametrize(
    ("freq", "season"),
    [("MS", 12), ("ME", 12), ("QS-OCT", 4), ("YE-DEC", 1), ("W-SUN", 52), ("D", 7), ("B", 5), ("h", 24),
     ("min", 60), ("s", 60), ("2h", 12), ("BMS", 12), ("BQE", 4), ("BYS", 1), ("SMS", 24), ("ms", 1),
     ("30min", 48), ("15min", 96), ("10min", 144), ("5min", 288), ("2min", 30), ("6h", 4), ("10s", 6),
     ("7h", 1), ("7min", 1), ("2D", 1)],
)  # fmt: skip
def test_season_length(freq: str, season: int) -> None:
    assert season_length(freq) == season


def test_half_hourly_data_get_the_day_as_season(tmp_path: Path) -> None:
    """Regression: 30-minute load was read with season 1, so its night-time shape was lost."""
    from forecast.data.frequency import season_phase

    t = np.arange(48 * 6)
    values = 100 + 30 * np.sin(2 * np.pi * t / 48)
    dates = pd.date_range("2024-03-04 13:30", periods=len(t), freq="30min")
    path = tmp_path / "load.csv"
    pd.DataFrame({"time": dates.strftime("%Y-%m-%d %H:%M:%S"), "load": values}).to_csv(path, index=False)
    ds = _read(path)
    assert (ds.freq, ds.season) == ("30min", 48)
    assert season_phase(ds.anchor, ds.freq, 48) == 27  # 13:30 is the 28th half hour of its day


# --- properties -------------------------------------------------------------------------------

_FREQS = {"D": "%Y-%m-%d", "W-SUN": "%Y-%m-%d", "MS": "%Y-%m-%d", "QS": "%Y-%m-%d", "h": "%Y-%m-%d %H:%M:%S"}
_PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@_PROPS
@given(
    data=st.data(),
    n=st.integers(3, 200),
    freq=st.sampled_from(sorted(_FREQS)),
    level=st.floats(-1e6, 1e6, allow_nan=False),
    fill=st.sampled_from([Fill.interpolate, Fill.ffill]),
    sep=st.sampled_from([",", ";", "\t"]),
)
def test_valid_series_always_load(
    tmp_path: Path, data: st.DataObject, n: int, freq: str, level: float, fill: Fill, sep: str
) -> None:
    noise = data.draw(st.lists(st.floats(-100, 100, allow_nan=False), min_size=n, max_size=n))
    values = [level + e for e in noise]
    # keep at least one real value; the rest may be missing anywhere, ends included
    keep = data.draw(st.integers(0, n - 1))
    holes = data.draw(st.sets(st.integers(0, n - 1), max_size=n)) - {keep}
    missing = data.draw(st.sampled_from(["", "NaN", "nan", "NA", "null"]))
    cells = [missing if i in holes else repr(v) for i, v in enumerate(values)]
    dates = pd.date_range("2001-01-01", periods=n, freq=freq).strftime(_FREQS[freq])
    path = _write(
        tmp_path,
        f"date{sep}value\n" + "".join(f"{d}{sep}{c}\n" for d, c in zip(dates, cells, strict=True)),
        "prop.csv",
    )
    ds = _read(path, fill=fill)
    assert len(ds.frame) == n
    assert not np.isnan(ds.values).any()
    assert ds.season == season_length(ds.freq)
    for i in set(range(n)) - holes:
        assert math.isclose(ds.values[i], values[i], rel_tol=1e-12, abs_tol=1e-9)
    assert len(ds.warnings) == (1 if holes else 0)


def _load_or_data_error(path: Path, **kwargs: object) -> None:
    try:
        ds = _read(path, **kwargs)
    except DataError as exc:
        message = str(exc)
        assert message.startswith(str(path)), message
        assert "\n" not in message, message
        return
    # three dates to infer a frequency; with --freq given, even one row loads (train says too short)
    assert len(ds.frame) >= (3 if kwargs.get("freq") is None else 1)
    assert np.isfinite(ds.values).all()


@_PROPS
@given(content=st.binary(max_size=400))
def test_random_bytes_load_or_raise_data_error(tmp_path: Path, content: bytes) -> None:
    _load_or_data_error(_write(tmp_path, content, "fuzz.csv"))


_CELLS = st.one_of(
    st.sampled_from(["2020-01-01", "2020-02-01", "2020-03-01", "2020-13-01", "1990", "01/02/2020", "2020-01-01T00:00+05:00",
                     "0000", "9999-12-31", "1677-09-21", "2262-04-12", "1,234", "n/a", "-", "", "nan", "inf", "1e309",
                     "-0", '"', '""', "x", "0x10", "1_000", " ", "NaT", "today", "now", "Q1 2020", "2020W01"]),
    st.from_regex(r"[0-9]{1,4}([-/.][0-9]{1,2}){0,2}", fullmatch=True),
    st.text(alphabet="0123456789-/:.,;\t \"'eE+aT", max_size=12),
)  # fmt: skip


@_PROPS
@given(
    header=st.lists(
        st.sampled_from(["date", "value", "ds", "y", "", "x", "date", "Year", "month"]),
        min_size=1,
        max_size=4,
    ),
    rows=st.lists(st.lists(_CELLS, min_size=1, max_size=4), max_size=12),
    sep=st.sampled_from([",", ";", "\t", "|"]),
    eol=st.sampled_from(["\n", "\r\n", "\r"]),
    fill=st.sampled_from(list(Fill)),
    freq=st.sampled_from([None, None, "MS", "D", "YS"]),
    thousands=st.sampled_from([None, ",", "."]),
)
def test_random_csv_text_loads_or_raises_data_error(
    tmp_path: Path,
    header: list[str],
    rows: list[list[str]],
    sep: str,
    eol: str,
    fill: Fill,
    freq: str | None,
    thousands: str | None,
) -> None:
    text = eol.join(sep.join(r) for r in [header, *rows])
    path = _write(tmp_path, text, "fuzz.csv")
    _load_or_data_error(path, fill=fill, freq=freq, thousands=thousands)


@_PROPS
@given(
    text=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300),
    date_col=st.sampled_from([None, "date"]),
    value_col=st.sampled_from([None, "value"]),
)
def test_random_unicode_text_loads_or_raises_data_error(
    tmp_path: Path, text: str, date_col: str | None, value_col: str | None
) -> None:
    path = _write(tmp_path, "date,value\n" + text, "fuzz.csv")
    _load_or_data_error(path, date_col=date_col, value_col=value_col)


def test_parquet_typed_columns(tmp_path: Path) -> None:
    dates = pd.date_range("2020-01-01", periods=30, freq="MS")
    frame = pd.DataFrame(
        {"store": np.repeat([7, 11], 30), "when": np.tile(dates, 2), "units": np.arange(60, dtype=np.int64)}
    )
    frame.sample(frac=1.0, random_state=0).to_parquet(tmp_path / "p.parquet", index=False)
    ds = _read(tmp_path / "p.parquet", id_col="store")
    assert list(ds.ids) == ["11", "7"] and ds.freq == "MS" and ds.date_col == "when"
    assert ds.values[ds.rows(1)].tolist() == list(range(30))


@pytest.mark.parametrize(
    ("dates", "freq", "first"),
    [
        (np.arange(1990, 2020), "YS-JAN", "1990-01-01"),
        ([int(d) for d in pd.date_range("2020-01-30", periods=30).strftime("%Y%m%d")], "D", "2020-01-30"),
    ],
    ids=["years", "yyyymmdd"],
)
def test_parquet_integer_dates_read_as_text(tmp_path: Path, dates: object, freq: str, first: str) -> None:
    pd.DataFrame({"date": dates, "v": np.arange(30.0)}).to_parquet(tmp_path / "p.parquet", index=False)
    ds = _read(tmp_path / "p.parquet")
    assert ds.freq == freq and ds.dates[0] == pd.Timestamp(first) and len(ds.frame) == 30


@pytest.mark.parametrize("dates", [np.arange(1990.0, 2020.0), np.arange(30) % 2 == 0], ids=["float", "bool"])
def test_parquet_float_or_bool_dates_refused(tmp_path: Path, dates: np.ndarray) -> None:
    pd.DataFrame({"date": dates, "v": np.arange(30.0)}).to_parquet(tmp_path / "p.parquet", index=False)
    with pytest.raises(DataError, match=rf"column 'date' holds {dates.dtype} values, not dates"):
        _read(tmp_path / "p.parquet")


def test_parquet_null_value_names_the_row(tmp_path: Path) -> None:
    frame = pd.DataFrame({"date": pd.date_range("2020-01-01", periods=30, freq="MS"), "y": np.arange(30.0)})
    frame.loc[4, "y"] = np.nan
    frame.to_parquet(tmp_path / "p.parquet", index=False)
    with pytest.raises(DataError, match=r"empty or NaN value in column 'y' at line 5 \(date 2020-05-01\)"):
        _read(tmp_path / "p.parquet")
    assert _read(tmp_path / "p.parquet", fill=Fill.interpolate).values[4] == 4.0


def test_parquet_text_dates_and_broken_file(tmp_path: Path) -> None:
    frame = pd.DataFrame({"month": [f"2020-{m:02d}" for m in range(1, 13)] * 3, "v": np.arange(36.0)})
    frame["month"] = [f"{2020 + i // 12}-{i % 12 + 1:02d}" for i in range(36)]
    frame.to_parquet(tmp_path / "p.parquet", index=False)
    assert _read(tmp_path / "p.parquet").freq == "MS"
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(DataError, match=r"bad.parquet: cannot be read as Parquet"):
        _read(tmp_path / "bad.parquet")


@pytest.mark.parametrize(
    "text",
    [
        "date,value\n2020-01-01,1\n\n2020-02-01,2\n",  # a blank line: kept as an empty row, then dropped
        "date,value\n2020-01-01, 1\n2020-02-01,2 \n",  # padded numbers: the exact slow path
        "date;value\n2020-01-01;1\n2020-02-01;2\n",  # semicolons
    ],
)
def test_fast_and_exact_csv_paths_agree(tmp_path: Path, text: str) -> None:
    months = "".join(f"2020-{m:02d}-01,{m}\n" for m in range(3, 13))
    body = text + (months.replace(",", ";") if ";" in text else months)
    ds = _read(_write(tmp_path, body))
    assert ds.values.tolist() == [1.0, 2.0, *range(3, 13)]


def test_space_before_a_quoted_field_is_stripped_with_the_quotes(tmp_path: Path) -> None:
    body = "date,id,value\n" + "".join(
        f'2020-{m:02d}-01, "a", "{m}"\n2020-{m:02d}-01,b,{m}\n' for m in range(1, 13)
    )
    ds = _read(_write(tmp_path, body), id_col="id")
    assert list(ds.ids) == ["a", "b"]
    assert ds.values[ds.rows(0)].tolist() == list(range(1, 13))


def test_bad_value_line_counts_blank_lines(tmp_path: Path) -> None:
    body = "date,value\n2020-01-01,1\n\n2020-02-01,oops\n"
    with pytest.raises(DataError, match=r"value 'oops' in column 'value' at line 4 is not a number"):
        _read(_write(tmp_path, body))


def test_describe_equals_a_loop_over_series() -> None:
    from forecast.data.dates import fmt_date
    from forecast.data.grid import describe

    rng = np.random.default_rng(3)
    parts = []
    for k in range(12):
        dates = pd.date_range("2019-01-01", periods=int(rng.integers(3, 40)), freq="MS") + pd.DateOffset(
            months=int(rng.integers(0, 6))
        )
        dates = dates[rng.random(len(dates)) > 0.2]  # gaps
        if k % 4 == 0 and len(dates):
            dates = dates.append(dates[:2])  # duplicates
        if k == 5:
            dates = dates.append(pd.DatetimeIndex(["2019-03-15"]))  # off the grid
        y = rng.normal(size=len(dates))
        y[rng.random(len(dates)) < 0.1] = np.nan
        parts.append(pd.DataFrame({"unique_id": f"s{k:02d}", "ds": dates, "y": y}))
    rows = pd.concat(parts, ignore_index=True).sample(frac=1.0, random_state=0)
    rows["unique_id"] = rows["unique_id"].astype("category")
    expected = []
    for uid, g in rows.groupby("unique_id", sort=True, observed=True):
        dates = pd.DatetimeIndex(g["ds"]).sort_values()
        unique = dates.unique()
        span = len(pd.date_range(unique[0], unique[-1], freq="MS"))
        expected.append(
            {
                "series": str(uid),
                "rows": len(g),
                "first_date": fmt_date(dates[0]),
                "last_date": fmt_date(dates[-1]),
                "nan": int((~np.isfinite(g["y"].to_numpy())).sum()),
                "duplicate_dates": len(dates) - len(unique),
                "gaps": max(span - len(unique), 0),
                "too_short": span < 24,
            }
        )
    got = describe(rows, "MS", 24)
    pd.testing.assert_frame_equal(got, pd.DataFrame(expected), check_dtype=False)


def test_parquet_null_id_in_dictionary_column_is_refused(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    dates = pd.date_range("2020-01-01", periods=3, freq="MS")
    ids = pa.array(["a", "a", None, "b", "b", "b"]).dictionary_encode()
    table = pa.table({"date": pa.array(list(dates) * 2), "id": ids, "value": pa.array(np.arange(6.0))})
    pq.write_table(table, tmp_path / "p.parquet")
    with pytest.raises(DataError, match="empty series id in column 'id' at line 3"):
        _read(tmp_path / "p.parquet", id_col="id")
