"""Reading the files people have: frequency spellings, decimal commas, day-first dates,
missing markers, Nixtla-style columns, compressed files and standard input, and files too
wide or too long in a line to be any series layout."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import FAST, invoke

from forecast.core.choices import Fill
from forecast.core.config import DataConfig, normalise_freq
from forecast.core.errors import DataError, UsageError
from forecast.data.dataset import read


def _read(path: Path, **kwargs: object):
    return read(DataConfig(path=str(path), **kwargs))  # type: ignore[arg-type]


def _csv(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _dated(dates: pd.DatetimeIndex, fmt: str = "%Y-%m-%d", sep: str = ",") -> str:
    values = 100 + np.arange(len(dates)) % 12
    return f"date{sep}value\n" + "".join(f"{d}{sep}{v}\n" for d, v in zip(dates.strftime(fmt), values))


# --- item 9: --freq spellings ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("M", "M"), ("monthly", "M"), ("Monthly", "M"), ("Q", "Q"), ("quarterly", "Q"), ("Y", "Y"),
        ("A", "Y"), ("yearly", "Y"), ("W", "W"), ("weekly", "W"), ("D", "D"), ("daily", "D"),
        ("H", "h"), ("hourly", "h"), ("2H", "2h"), ("T", "min"), ("MS", "MS"), ("ME", "ME"),
        ("W-SUN", "W-SUN"), ("QS-JAN", "QS-JAN"), ("A-DEC", "YE-DEC"), ("30min", "30min"), ("1M", "M"),
    ],
)  # fmt: skip
def test_freq_spellings(given: str, expected: str) -> None:
    assert normalise_freq(given) == expected
    assert normalise_freq(expected) == expected  # a stored value reads back the same


@pytest.mark.parametrize(
    ("freq", "start", "pandas_freq"),
    [
        ("M", "2020-01-01", "MS"),
        ("monthly", "2020-01-31", "ME"),
        ("Q", "2020-04-01", "QS-APR"),
        ("quarterly", "2020-03-31", "QE-MAR"),
        ("Y", "2001-01-01", "YS-JAN"),
        ("A", "2001-12-31", "YE-DEC"),
        ("W", "2024-01-03", "W-WED"),
        ("D", "2024-01-03", "D"),
        ("H", "2024-01-03", "h"),
    ],
)
def test_freq_alias_means_the_files_own_anchor(
    tmp_path: Path, freq: str, start: str, pandas_freq: str
) -> None:
    dates = pd.date_range(start, periods=30, freq=pandas_freq)
    path = _csv(tmp_path, _dated(dates, "%Y-%m-%d %H:%M:%S"))
    ds = _read(path, freq=freq)
    assert pd.tseries.frequencies.to_offset(ds.freq) == pd.tseries.frequencies.to_offset(pandas_freq)
    assert len(ds.frame) == 30


@pytest.mark.parametrize("command", ["validate", "train", "backtest"])
@pytest.mark.parametrize("freq", ["fortnightly", "0D", "M2"])
def test_unknown_freq_is_a_usage_error_in_every_command(tmp_path: Path, command: str, freq: str) -> None:
    path = _csv(tmp_path, _dated(pd.date_range("2020-01-01", periods=40, freq="MS")))
    extra = [] if command == "validate" else ["--runs-dir", tmp_path / "runs", *FAST]
    result = invoke(command, path, "--freq", freq, *extra)
    assert result.exit_code == 2, result.output
    assert "--freq" in result.output and "monthly" in result.output and "MS" in result.output


@pytest.mark.parametrize("freq", ["M", "monthly"])
def test_validate_freq_m_was_an_internal_error(tmp_path: Path, freq: str) -> None:
    path = _csv(tmp_path, _dated(pd.date_range("2020-01-31", periods=60, freq="ME")))
    result = invoke("validate", path, "--freq", freq)
    assert result.exit_code == 0, result.output
    assert "frequency ME" in result.output


def test_freq_alias_in_a_config_file(tmp_path: Path) -> None:
    path = _csv(tmp_path, _dated(pd.date_range("2020-01-01", periods=60, freq="MS")))
    conf = _csv(tmp_path, '[validate]\nfreq = "monthly"\n', "forecast.toml")
    result = invoke("validate", path, "--config", conf)
    assert result.exit_code == 0, result.output
    assert "frequency MS" in result.output


def test_bad_freq_refused_when_the_config_is_built() -> None:
    with pytest.raises(UsageError, match="--freq 'fortnightly' is not a frequency; use a word"):
        DataConfig(path="x.csv", freq="fortnightly")


# --- item 2: decimal commas ---------------------------------------------------------------------


def _european(tmp_path: Path, cells: list[str], name: str = "eu.csv") -> Path:
    dates = pd.date_range("2020-01-01", periods=len(cells), freq="MS").strftime("%Y-%m-%d")
    return _csv(tmp_path, "date;value\n" + "".join(f"{d};{c}\n" for d, c in zip(dates, cells)), name)


def test_thousands_comma_refuses_decimal_commas(tmp_path: Path) -> None:
    path = _european(tmp_path, ["15,136", "29,66", "31,5"])
    with pytest.raises(DataError, match="not a number .*a decimal comma\\? use --decimal ,\\)"):
        _read(path)  # the hint names --decimal, not only --thousands
    with pytest.raises(
        DataError,
        match=r"value '29,66' in column 'value' at line 3 does not group digits in threes .*"
        r"use --decimal , instead of --thousands ,",
    ):
        _read(path, thousands=",")  # used to read 2966 with exit 0
    assert _read(path, decimal=",").values.tolist() == [15.136, 29.66, 31.5]


def test_european_layout(tmp_path: Path) -> None:
    path = _european(tmp_path, ["1.234,5", "2.000,25", "987,5"])
    with pytest.raises(DataError, match=r"European numbers .*use --decimal , --thousands \."):
        _read(path)
    with pytest.raises(DataError, match=r"'1.234,5' .*has a '.' but --decimal , .*add --thousands \."):
        _read(path, decimal=",")  # 1.234 would otherwise be a thousand times too small
    assert _read(path, decimal=",", thousands=".").values.tolist() == [1234.5, 2000.25, 987.5]


def test_ambiguous_commas_name_both_options(tmp_path: Path) -> None:
    path = _european(tmp_path, ["1,234", "2,345", "3,456"])
    with pytest.raises(DataError, match=r"use --thousands , ; or --decimal , if the comma marks decimals"):
        _read(path)


def test_decimal_options_are_checked() -> None:
    with pytest.raises(UsageError, match="--decimal takes '.' or ','"):
        DataConfig(path="x.csv", decimal=";")
    with pytest.raises(UsageError, match="--thousands and --decimal are both ','"):
        DataConfig(path="x.csv", decimal=",", thousands=",")
    assert DataConfig(path="x.csv", thousands=".").decimal == ","  # dots group: commas are decimals


def test_decimal_comma_train_and_predict_newer_rows(tmp_path: Path) -> None:
    values = [f"{100 + 10 * np.sin(i / 2):.2f}".replace(".", ",") for i in range(60)]
    path = _european(tmp_path, values)
    out = tmp_path / "run"
    result = invoke("train", path, "--decimal", ",", "--out", out, "--runs-dir", tmp_path / "runs", *FAST)
    assert result.exit_code == 0, result.output
    newer = _european(tmp_path, [*values, "123,45"], "newer.csv")
    result = invoke("predict", "--run", out, "--data", newer, "--quiet")  # the run's --decimal applies
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out / "forecast.csv")["date"].iloc[0] == "2025-02-01"


def test_decimal_in_a_config_file(tmp_path: Path) -> None:
    path = _european(tmp_path, [f"{i},5" for i in range(60)])
    conf = _csv(tmp_path, '[validate]\ndecimal = ","\n', "forecast.toml")
    result = invoke("validate", path, "--config", conf)
    assert result.exit_code == 0, result.output


# --- item 6: missing markers --------------------------------------------------------------------


@pytest.mark.parametrize("marker", ["n/a", "N/A", "-", "null", "NaN", "", "NA", "#N/A"])
def test_missing_markers_are_missing_values(tmp_path: Path, marker: str) -> None:
    path = _csv(tmp_path, "date,value\n2020-01-01,1\n2020-02-01,2\n2020-03-01," + marker + "\n2020-04-01,4\n")
    with pytest.raises(DataError, match="empty or NaN value in column 'value' at line 4 .*--fill"):
        _read(path)
    assert _read(path, fill=Fill.interpolate).values.tolist() == [1.0, 2.0, 3.0, 4.0]


def test_not_a_number_mentions_fill(tmp_path: Path) -> None:
    path = _csv(tmp_path, "date,value\n2020-01-01,1\n2020-02-01,2\n2020-03-01,?\n2020-04-01,4\n")
    with pytest.raises(DataError, match=r"value '\?' .* is not a number; correct it, or blank it .*--fill"):
        _read(path)


# --- item 7: Nixtla-style and other id columns ---------------------------------------------------


def _panel(ids: list[object], id_name: str = "unique_id", date: str = "ds", value: str = "y") -> str:
    dates = pd.date_range("2020-01-01", periods=30, freq="MS").strftime("%Y-%m-%d")
    rows = [f"{u},{d},{10 + i % 7}" for u in ids for i, d in enumerate(dates)]
    return f"{id_name},{date},{value}\n" + "\n".join(rows) + "\n"


@pytest.mark.parametrize("ids", [["H1", "H2"], [1, 2]])
def test_nixtla_columns_name_unique_id_as_the_id_col(tmp_path: Path, ids: list[object]) -> None:
    path = _csv(tmp_path, _panel(ids))
    with pytest.raises(DataError, match=r"duplicate date .*name their id column with --id-col unique_id\)"):
        _read(path)  # ds is the date and y the value, even when unique_id is numeric
    ds = _read(path, id_col="unique_id")
    assert (ds.date_col, ds.value_col, len(ds.ids)) == ("ds", "y", 2)


@pytest.mark.parametrize("id_name", ["series", "id", "item", "store", "Store"])
def test_id_like_columns_are_offered(tmp_path: Path, id_name: str) -> None:
    path = _csv(tmp_path, _panel(["a", "b"], id_name, "date", "sales"))
    result = invoke("validate", path)
    assert result.exit_code == 3
    assert f"--id-col {id_name})" in " ".join(result.output.split())


def test_a_text_column_is_offered_when_none_is_named_like_an_id(tmp_path: Path) -> None:
    path = _csv(tmp_path, _panel(["north", "south"], "region", "date", "sales"))
    with pytest.raises(DataError, match=r"--id-col region\)"):
        _read(path)


# --- item 4: day-first dates --------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%Y %H:%M"])
@pytest.mark.parametrize("start", ["2012-01-13", "2012-01-01"])  # the first date day-first or ambiguous
def test_day_first_dates_are_detected(tmp_path: Path, fmt: str, start: str) -> None:
    dates = pd.date_range(start, periods=40, freq="D")
    ds = _read(_csv(tmp_path, _dated(dates, fmt)))
    assert ds.dates.tolist() == list(dates) and ds.freq == "D" and ds.dayfirst is True


def test_day_first_monthly_dates(tmp_path: Path) -> None:
    dates = pd.date_range("2012-01-01", periods=30, freq="MS")  # 01/02/2012 ... never a day over 12
    with pytest.raises(
        DataError, match="not regularly spaced.*read month first: if the day comes first, use --dayfirst"
    ):
        _read(_csv(tmp_path, _dated(dates, "%d/%m/%Y")))  # ambiguous: month first, with the hint
    result = invoke("validate", tmp_path / "data.csv")
    assert result.exit_code == 3 and "--dayfirst" in result.output
    ds = _read(_csv(tmp_path, _dated(dates, "%d/%m/%Y")), dayfirst=True)  # ambiguous: the user says
    assert ds.dates.tolist() == list(dates) and ds.freq == "MS"


def test_month_first_refused_with_a_hint(tmp_path: Path) -> None:
    path = _csv(tmp_path, _dated(pd.date_range("2012-01-01", periods=40, freq="D"), "%d/%m/%Y"))
    with pytest.raises(DataError, match=r"cannot parse date '13/01/2012' .*day-first dates .*use --dayfirst"):
        _read(path, dayfirst=False)  # used to say only "dates must share one format"


def test_both_orders_in_one_file(tmp_path: Path) -> None:
    path = _csv(tmp_path, "date,value\n13/01/2012,1\n01/14/2012,2\n01/15/2012,3\n")
    with pytest.raises(DataError, match=r"'13/01/2012' puts the day first but '01/14/2012' the month"):
        _read(path)


def test_day_first_is_recorded_for_predict(tmp_path: Path) -> None:
    dates = pd.date_range("2012-01-05", periods=60, freq="D")
    path = _csv(tmp_path, _dated(dates, "%d/%m/%Y"))
    out = tmp_path / "run"
    result = invoke("train", path, "--out", out, "--runs-dir", tmp_path / "runs", *FAST)
    assert result.exit_code == 0, result.output
    assert '"dayfirst": true' in (out / "config.json").read_text()
    result = invoke("predict", "--run", out, "--quiet")
    assert result.exit_code == 0, result.output
    # newer rows whose days are all 12 or less: read day first like the training data
    from forecast.core.config import RunConfig
    from forecast.workflows.predict_inputs import read_like_training

    newer = pd.date_range("2012-02-01", periods=12, freq="D")
    source = _csv(tmp_path, _dated(newer, "%d/%m/%Y"), "new.csv")
    ds = read_like_training(
        RunConfig(DataConfig(path=str(path), freq="D")),
        {"dayfirst": True, "zone": None, "offsets": []},
        str(source),
    )
    assert ds.dates.tolist() == list(newer)


# --- item 5: compressed files, Excel, standard input --------------------------------------------


def _compress(path: Path, kind: str) -> Path:
    import bz2
    import gzip
    import lzma
    import zipfile

    raw = path.read_bytes()
    if kind == "zip":
        out = path.with_name(path.name + ".zip")
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(path.name, raw)
        return out
    if kind == "zst":
        import pyarrow as pa

        out = path.with_name(path.name + ".zst")
        with pa.CompressedOutputStream(str(out), "zstd") as fh:
            fh.write(raw)
        return out
    opener = {"gz": gzip.open, "bz2": bz2.open, "xz": lzma.open}[kind]
    out = path.with_name(path.name + "." + kind)
    with opener(out, "wb") as fh:
        fh.write(raw)
    return out


@pytest.mark.parametrize("kind", ["gz", "bz2", "xz", "zst", "zip"])
@pytest.mark.parametrize("odd", [False, True])  # plain: pyarrow's reader; a padded header: pandas'
def test_compressed_csv(tmp_path: Path, kind: str, odd: bool) -> None:
    dates = pd.date_range("2020-01-01", periods=30, freq="MS")
    text = _dated(dates, sep=";")
    if odd:
        text = text.replace("date;value", "date; value")
    plain = _read(_csv(tmp_path, text))
    ds = _read(_compress(tmp_path / "data.csv", kind))
    assert ds.values.tolist() == plain.values.tolist() and ds.dates.tolist() == list(dates)


def test_zip_with_two_files_is_refused(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "two.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.csv", "date,value\n2020-01-01,1\n")
        archive.writestr("b.csv", "date,value\n2020-01-01,1\n")
    with pytest.raises(DataError, match="the zip file holds 2 files; it must hold exactly one CSV"):
        _read(path)


def test_corrupt_gzip(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00garbage" * 10)
    with pytest.raises(DataError, match="cannot be decompressed as gzip"):
        _read(path)


@pytest.mark.parametrize("name", ["book.xlsx", "book.xls", "book.ods", "renamed.csv"])
def test_excel_is_refused(tmp_path: Path, name: str) -> None:
    import zipfile

    path = tmp_path / name
    if name.endswith(".xls"):
        path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    else:  # a workbook is a zip of XML parts, whatever it is called
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("[Content_Types].xml", "<Types/>")
            archive.writestr("xl/workbook.xml", "<workbook/>")
    result = invoke("validate", path)
    assert result.exit_code == 3
    assert "Excel files are not read: save as CSV" in result.output


def test_train_from_standard_input(tmp_path: Path) -> None:
    import hashlib
    import json

    text = _dated(pd.date_range("2015-01-01", periods=60, freq="MS"))
    out = tmp_path / "run"
    result = invoke("train", "-", "--out", out, "--runs-dir", tmp_path / "runs", *FAST, input=text)
    assert result.exit_code == 0, result.output
    meta = json.loads((out / "config.json").read_text())
    assert meta["settings"]["data"]["path"] == "-" and "path" not in meta["data"]
    assert meta["data"]["sha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert "staged" not in meta["settings"]["data"]
    result = invoke("predict", "--run", out)  # standard input is gone: say so, exit 2
    assert result.exit_code == 2
    assert "trained on standard input ('-')" in result.output and "--data" in result.output
    result = invoke("predict", "--run", out, "--data", "-", "--quiet", input=text)
    assert result.exit_code == 0, result.output
    assert (out / "forecast.csv").is_file()


@pytest.mark.parametrize("command", ["validate", "backtest"])
def test_validate_and_backtest_read_standard_input(tmp_path: Path, command: str) -> None:
    text = _dated(pd.date_range("2015-01-01", periods=60, freq="MS"))
    extra = [] if command == "validate" else ["--folds", "1", "--no-plot", "--out", tmp_path / "bt", *FAST]
    result = invoke(command, "-", *extra, input=text)
    assert result.exit_code == 0, result.output


def test_standard_input_errors_name_stdin(tmp_path: Path) -> None:
    result = invoke("validate", "-", input="date,value\n2020-01-01,abc\n2020-02-01,2\n2020-03-01,3\n")
    assert result.exit_code == 3
    assert "<stdin>: value 'abc'" in result.output


# --- item 19: files no series layout needs --------------------------------------------------------


def test_too_many_columns_is_refused_early(tmp_path: Path) -> None:
    from forecast.core.config import MAX_COLUMNS

    path = tmp_path / "wide.csv"
    header = "date," + ",".join(f"s{i}" for i in range(MAX_COLUMNS))
    path.write_text(header + "\n2020-01-01," + ",".join("1" for _ in range(MAX_COLUMNS)) + "\n")
    result = invoke("validate", path, "--wide")
    assert result.exit_code == 3
    assert f"has {MAX_COLUMNS + 1:,} columns; at most {MAX_COLUMNS:,} are read" in result.output


def test_too_many_parquet_columns(tmp_path: Path) -> None:
    from forecast.core.config import MAX_COLUMNS

    path = tmp_path / "wide.parquet"
    pd.DataFrame({f"s{i}": [1.0] for i in range(MAX_COLUMNS + 1)}).to_parquet(path)
    with pytest.raises(DataError, match=f"has {MAX_COLUMNS + 1:,} columns"):
        _read(path)


@pytest.mark.parametrize("newline", [False, True])
def test_overlong_header_line_is_refused(tmp_path: Path, newline: bool) -> None:
    from forecast.data.tables import MAX_LINE_BYTES

    path = tmp_path / "one-line.csv"
    path.write_text("x" * (MAX_LINE_BYTES + 10) + ("\n1\n" if newline else ""))  # one endless "column name"
    result = invoke("train", path, "--runs-dir", tmp_path / "runs", *FAST)
    assert result.exit_code == 3
    assert "line 1 is longer than 1 MiB" in result.output


def test_a_header_naming_a_column_twice_once_trimmed_is_bad_data(tmp_path: Path) -> None:
    """Found by hypothesis: "0" and "<tab>0" became the same name and crashed with exit 1."""
    path = tmp_path / "dup.csv"
    path.write_text("0,\t0\n1,2\n3,4\n")
    result = invoke("validate", path)
    assert result.exit_code == 3
    assert "names column '0' twice" in result.stderr and "Traceback" not in result.output
