"""Reading the files people have: frequency spellings, decimal commas, day-first dates,
missing markers, Nixtla-style columns, compressed files and standard input, and files too
wide or too long in a line to be any series layout."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import FAST
from typer.testing import CliRunner

from forecast.cli import app
from forecast.config import DataConfig, Fill, normalise_freq
from forecast.data import read
from forecast.errors import DataError, UsageError

runner = CliRunner()


def invoke(*args: object, input: bytes | str | None = None):
    return runner.invoke(app, [str(a) for a in args], input=input)


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
    from forecast.config import RunConfig
    from forecast.forecasting import read_like_training

    newer = pd.date_range("2012-02-01", periods=12, freq="D")
    source = _csv(tmp_path, _dated(newer, "%d/%m/%Y"), "new.csv")
    ds = read_like_training(
        RunConfig(DataConfig(path=str(path))), {"freq": "D", "dayfirst": True}, str(source)
    )
    assert ds.dates.tolist() == list(newer)
