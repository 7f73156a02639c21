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


@settings(max_examples=50, deadline=None)
@given(arrays(np.float64, st.integers(1, 30), elements=finite), st.data())
def test_metrics_equal_loops(y: np.ndarray, data: st.DataObject) -> None:
    f = data.draw(arrays(np.float64, len(y), elements=finite))
    n = len(y)
    assert metrics.mae(y, f) == pytest.approx(sum(abs(a - b) for a, b in zip(y, f)) / n)
    assert metrics.rmse(y, f) == pytest.approx(math.sqrt(sum((a - b) ** 2 for a, b in zip(y, f)) / n))
    terms = [0.0 if abs(a) + abs(b) == 0 else 200 * abs(a - b) / (abs(a) + abs(b)) for a, b in zip(y, f)]
    assert metrics.smape(y, f) == pytest.approx(sum(terms) / n)
    nz = [(a, b) for a, b in zip(y, f) if a != 0]
    if nz:
        assert metrics.mape(y, f) == pytest.approx(100 * sum(abs((a - b) / a) for a, b in nz) / len(nz))
    else:
        assert math.isnan(metrics.mape(y, f))


def test_mase_scales_by_insample_seasonal_naive() -> None:
    insample = np.array([1.0, 2, 3, 4, 2, 4, 6, 8])  # season 4: |2-1|,|4-2|,|6-3|,|8-4| -> 2.5
    y, f = np.array([10.0, 10.0]), np.array([12.0, 7.0])  # MAE 2.5
    assert metrics.mase(y, f, insample, 4) == pytest.approx(1.0)
    assert metrics.mase(y, f, insample, 1) == pytest.approx(2.5 / (sum(abs(np.diff(insample))) / 7))
    assert math.isnan(metrics.mase(y, f, np.ones(8), 4))  # constant history: undefined


def test_smape_zero_over_zero_is_zero() -> None:
    assert metrics.smape(np.zeros(3), np.zeros(3)) == 0.0


def test_baselines() -> None:
    y = np.array([1.0, 2, 3, 4, 5, 6, 7])
    np.testing.assert_array_equal(baselines.naive(y, 3), [7, 7, 7])
    np.testing.assert_array_equal(baselines.seasonal_naive(y, 5, 3), [5, 6, 7, 5, 6])
    np.testing.assert_array_equal(baselines.seasonal_naive(y[:2], 2, 3), [2, 2])  # too short


def test_evaluate_has_every_metric() -> None:
    out = metrics.evaluate(np.array([1.0, 2]), np.array([1.0, 3]), np.array([0.0, 1, 2, 3]), 1)
    assert set(out) == set(metrics.METRICS)


def test_evaluate_rows_equals_evaluate_row_by_row() -> None:
    from forecast.scoring.metrics import evaluate, evaluate_rows, mase_scale

    rng = np.random.default_rng(5)
    y = rng.normal(10, 5, (40, 6))
    y[0] = 0.0  # MAPE undefined
    y[1, :3] = 0.0  # partly zero
    f = y + rng.normal(0, 2, y.shape)
    f[2] = -y[2]  # sMAPE 200
    f[3] = y[3]  # exact
    hists = [rng.normal(10, 5, int(n)) for n in rng.integers(1, 30, 40)]
    hists[4] = np.ones(20)  # flat: MASE scale 0 -> NaN
    scales = np.array([mase_scale(h, 4) for h in hists])
    rows = evaluate_rows(y, f, scales)
    for i in range(len(y)):
        expected = evaluate(y[i], f[i], hists[i], 4)
        for key, value in expected.items():
            np.testing.assert_allclose(
                rows[key][i], value, rtol=1e-12, equal_nan=True, err_msg=f"{key} row {i}"
            )
