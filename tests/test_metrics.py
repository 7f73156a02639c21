"""Metrics and baselines against slow, obvious loops."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from forecast.scoring import baselines, metrics

finite = st.floats(-1e6, 1e6, allow_nan=False).filter(lambda v: v == 0 or abs(v) > 1e-3)


def _slow(y: np.ndarray, f: np.ndarray, insample: np.ndarray, season: int) -> dict[str, float]:
    """Every metric for one forecast, by the textbook formulas, one point at a time."""
    n = len(y)
    mae = sum(abs(a - b) for a, b in zip(y, f)) / n
    nz = [(a, b) for a, b in zip(y, f) if a != 0]
    terms = [0.0 if abs(a) + abs(b) == 0 else 200 * abs(a - b) / (abs(a) + abs(b)) for a, b in zip(y, f)]
    m = season if season > 1 and len(insample) > season else 1  # seasonal naive, naive if too short
    diffs = [abs(insample[i] - insample[i - m]) for i in range(m, len(insample))]
    scale = sum(diffs) / len(diffs) if diffs else 0.0
    return {
        "mae": mae,
        "rmse": math.sqrt(sum((a - b) ** 2 for a, b in zip(y, f)) / n),
        "mape": 100 * sum(abs((a - b) / a) for a, b in nz) / len(nz) if nz else math.nan,
        "smape": sum(terms) / n,
        "mase": mae / scale if scale else math.nan,
    }


def _rows(y: np.ndarray, f: np.ndarray, insample: np.ndarray, season: int) -> dict[str, float]:
    """evaluate_rows for a single forecast."""
    scales = np.array([metrics.mase_scale(np.asarray(insample, dtype=np.float64), season)])
    return {k: float(v[0]) for k, v in metrics.evaluate_rows(y[None], f[None], scales).items()}


@settings(max_examples=50, deadline=None)
@given(arrays(np.float64, st.integers(1, 30), elements=finite), st.data())
def test_metrics_equal_loops(y: np.ndarray, data: st.DataObject) -> None:
    f = data.draw(arrays(np.float64, len(y), elements=finite))
    insample = data.draw(arrays(np.float64, st.integers(1, 30), elements=finite))
    season = data.draw(st.integers(1, 12))
    got, expected = _rows(y, f, insample, season), _slow(y, f, insample, season)
    assert set(got) == set(metrics.METRICS) == set(expected)
    for key in metrics.METRICS:
        if math.isnan(expected[key]):
            assert math.isnan(got[key]), key
        else:
            assert got[key] == pytest.approx(expected[key], rel=1e-9), key


def test_mase_scales_by_insample_seasonal_naive() -> None:
    insample = np.array([1.0, 2, 3, 4, 2, 4, 6, 8])  # season 4: |2-1|,|4-2|,|6-3|,|8-4| -> 2.5
    y, f = np.array([10.0, 10.0]), np.array([12.0, 7.0])  # MAE 2.5
    assert _rows(y, f, insample, 4)["mase"] == pytest.approx(1.0)
    assert _rows(y, f, insample, 1)["mase"] == pytest.approx(2.5 / (sum(abs(np.diff(insample))) / 7))
    assert math.isnan(_rows(y, f, np.ones(8), 4)["mase"])  # constant history: undefined


def test_smape_zero_over_zero_is_zero() -> None:
    assert _rows(np.zeros(3), np.zeros(3), np.arange(5.0), 1)["smape"] == 0.0


def test_baselines() -> None:
    y = np.array([1.0, 2, 3, 4, 5, 6, 7])
    np.testing.assert_array_equal(baselines.naive(y, 3), [7, 7, 7])
    np.testing.assert_array_equal(baselines.seasonal_naive(y, 5, 3), [5, 6, 7, 5, 6])
    np.testing.assert_array_equal(baselines.seasonal_naive(y[:2], 2, 3), [2, 2])  # too short


def test_evaluate_rows_equals_loops_row_by_row() -> None:
    rng = np.random.default_rng(5)
    y = rng.normal(10, 5, (40, 6))
    y[0] = 0.0  # MAPE undefined
    y[1, :3] = 0.0  # partly zero
    f = y + rng.normal(0, 2, y.shape)
    f[2] = -y[2]  # sMAPE 200
    f[3] = y[3]  # exact
    hists = [rng.normal(10, 5, int(n)) for n in rng.integers(1, 30, 40)]
    hists[4] = np.ones(20)  # flat: MASE scale 0 -> NaN
    scales = np.array([metrics.mase_scale(h, 4) for h in hists])
    rows = metrics.evaluate_rows(y, f, scales)
    for i in range(len(y)):
        expected = _slow(y[i], f[i], hists[i], 4)
        for key, value in expected.items():
            np.testing.assert_allclose(
                rows[key][i], value, rtol=1e-9, equal_nan=True, err_msg=f"{key} row {i}"
            )
