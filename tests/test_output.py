"""Output CSVs: atomic, streamed, 10 significant digits, quoting only where a cell needs it."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast.core.errors import UsageError
from forecast.data.output import CsvWriter, round_significant, write_csv


def test_round_significant_matches_printf() -> None:
    rng = np.random.default_rng(0)
    values = np.r_[rng.lognormal(0, 6, 500) * rng.choice([-1, 1], 500), 0.0, 1e-12, 123456789012.0]
    rounded = round_significant(values)
    for v, r in zip(values, rounded, strict=True):
        assert float(f"{v:.10g}") == pytest.approx(r, rel=1e-12, abs=0)
    assert np.isnan(round_significant(np.array([np.nan]))[0])
    assert round_significant(np.array([np.inf]))[0] == np.inf


@pytest.mark.parametrize("exponent", [-300, -40, -20, -14, 14, 18, 24, 40, 300])
def test_round_significant_large_and_tiny_values_print_short(tmp_path: Path, exponent: int) -> None:
    rng = np.random.default_rng(exponent + 1000)
    values = rng.uniform(1, 10, 200) * rng.choice([-1, 1], 200) * 10.0**exponent
    rounded = round_significant(values)
    assert rounded.tolist() == [float(f"{v:.10g}") for v in values]
    write_csv(pd.DataFrame({"y": values}), tmp_path / "f.csv")
    cells = (tmp_path / "f.csv").read_text().split()[1:]
    assert max(len(re.sub(r"e.*|[-.]", "", c).strip("0")) for c in cells) <= 10, cells[:3]


def test_write_csv_plain_text_and_empty_nan(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"series": ["a", "b"], "date": ["2020-01-01", "2020-02-01"], "forecast": [1 / 3, np.nan], "n": [1, 2]}
    )
    write_csv(frame, tmp_path / "f.csv")
    assert (tmp_path / "f.csv").read_text() == (
        "series,date,forecast,n\na,2020-01-01,0.3333333333,1\nb,2020-02-01,,2\n"
    )


def test_cells_that_need_quotes_are_quoted(tmp_path: Path) -> None:
    frame = pd.DataFrame({"series": ['north, "big"', "south"], "forecast": [1.5, 2.0]})
    write_csv(frame, tmp_path / "f.csv")
    assert pd.read_csv(tmp_path / "f.csv")["series"].tolist() == ['north, "big"', "south"]


def test_streamed_chunks_equal_one_write(tmp_path: Path) -> None:
    frame = pd.DataFrame({"series": list("abcdefg"), "forecast": np.linspace(0, 1, 7)})
    write_csv(frame, tmp_path / "one.csv")
    with CsvWriter(tmp_path / "many.csv") as out:
        for lo in range(0, 7, 3):
            out.write(frame.iloc[lo : lo + 3])
    assert out.rows == 7
    assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "many.csv").read_bytes()


def test_failure_leaves_no_file_and_keeps_the_old_one(tmp_path: Path) -> None:
    target = tmp_path / "f.csv"
    target.write_text("old\n")
    with pytest.raises(RuntimeError), CsvWriter(target) as out:
        out.write(pd.DataFrame({"x": [1.0]}))
        raise RuntimeError("interrupted")
    assert target.read_text() == "old\n" and sorted(p.name for p in tmp_path.iterdir()) == ["f.csv"]


def test_unwritable_target_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(UsageError, match="is a directory"):
        write_csv(pd.DataFrame({"x": [1]}), tmp_path / "dir.csv")
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(UsageError, match="cannot be written"):
        write_csv(pd.DataFrame({"x": [1]}), blocker / "sub" / "f.csv")


def test_dates_are_written_as_dates(tmp_path: Path) -> None:
    frame = pd.DataFrame({"date": pd.to_datetime(["2020-01-01", "2020-02-01"]), "y": [1.0, 2.0]})
    write_csv(frame, tmp_path / "f.csv")
    assert io.StringIO((tmp_path / "f.csv").read_text()).read().splitlines()[1] == "2020-01-01,1"
