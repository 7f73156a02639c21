"""Windows, splits and series transforms: exact values on tiny arrays."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast.core.choices import Deseason, Scaler
from forecast.model.transforms import fit_transform, seasonal_indices, seasonality_test
from forecast.model.windows import make, normalise_inputs, split_panel


def test_many_to_many_windows_exact() -> None:
    z = np.arange(7, dtype=float)  # 0..6
    ws = make(z, lookback=3, out_len=2, level_len=0)
    assert len(ws) == 3
    x, y = ws.batch(np.arange(3))
    assert x.shape == (3, 3, 1)  # (batch, lookback, features)
    np.testing.assert_array_equal(x[..., 0], [[0, 1, 2], [1, 2, 3], [2, 3, 4]])
    np.testing.assert_array_equal(y, [[3, 4], [4, 5], [5, 6]])


def test_many_to_one_windows_exact() -> None:
    z = np.arange(5, dtype=float)
    ws = make(z, lookback=3, out_len=1, level_len=0)
    x, y = ws.batch(np.array([1, 0]))
    np.testing.assert_array_equal(x[..., 0], [[1, 2, 3], [0, 1, 2]])
    np.testing.assert_array_equal(y, [[4], [3]])


def test_windows_are_views_not_copies() -> None:
    z = np.arange(1000, dtype=float)
    ws = make(z, lookback=24, out_len=12, level_len=0)
    assert np.shares_memory(ws.windows, z)
    assert ws.windows.base is not None


def test_window_level_normalisation() -> None:
    z = np.array([1.0, 2.0, 3.0, 4.0, 10.0])
    ws = make(z, lookback=4, out_len=1, level_len=2)  # level = mean of the last 2 inputs
    x, y = ws.batch(np.array([0]))
    np.testing.assert_allclose(x[..., 0], [[-2.5, -1.5, -0.5, 0.5]])
    np.testing.assert_allclose(y, [[6.5]])


def test_normalise_inputs_oracle() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 9))
    out, level = normalise_inputs(x, 4)
    for i in range(6):
        lvl = sum(x[i, -4:]) / 4
        assert level[i, 0] == pytest.approx(lvl)
        np.testing.assert_allclose(out[i], x[i] - lvl)


def test_too_short_gives_no_windows() -> None:
    assert len(make(np.arange(3.0), lookback=3, out_len=2, level_len=0)) == 0


@pytest.mark.parametrize("out_len", [1, 3])
def test_split_never_trains_on_validation_targets(out_len: int) -> None:
    n, lookback, val = 40, 5, 6
    width = lookback + out_len
    train, valid = split_panel(np.array([n]), width, out_len, val)
    cut = n - val
    assert len(train) and len(valid)
    assert (train + width <= cut).all()  # training targets end before the cut
    assert (valid + lookback >= cut).all()  # validation targets all after the cut
    assert (valid + width <= n).all()
    assert len(valid) == val - out_len + 1


def test_split_without_validation() -> None:
    train, valid = split_panel(np.array([20]), 6, 3, 0)
    assert len(valid) == 0 and len(train) == 15


@pytest.mark.parametrize("out_len,val", [(1, 0), (1, 6), (3, 2), (3, 6)])
def test_split_panel_equals_a_loop_over_series(out_len: int, val: int) -> None:
    lengths, lookback = np.array([40, 3, 25, 9, 12]), 5
    width = lookback + out_len
    train, valid, offset = [], [], 0
    for n in lengths:  # each window's start in the concatenated values, series by series
        cut = n - val if val >= out_len else n  # too few values for one validation window: no cut
        for start in range(n - width + 1):
            if start + width <= cut:
                train.append(offset + start)  # every target before the series' cut
            elif start + width - out_len >= cut:
                valid.append(offset + start)  # every target after it
        offset += n
    got_train, got_valid = split_panel(lengths, width, out_len, val)
    assert got_train.tolist() == train and got_valid.tolist() == valid


def test_log_transform_round_trip() -> None:
    y = np.array([10.0, 20.0, 30.0, 25.0, 40.0, 55.0])
    t, warnings = fit_transform(y, np.arange(6), Scaler.window, Deseason.off, 1, 3)
    assert t.log and not warnings and t.level_len == 1
    np.testing.assert_allclose(t.forward(y, np.arange(6)), np.log1p(y))
    np.testing.assert_allclose(t.inverse(t.forward(y, np.arange(6)), np.arange(6)), y)


def test_negative_values_fall_back_with_warning() -> None:
    y = np.array([-5.0, 3.0, 8.0, -2.0, 4.0])
    t, warnings = fit_transform(y, np.arange(5), Scaler.window, Deseason.off, 1, 3)
    assert not t.log and "negative" in warnings[0]
    z = t.forward(y, np.arange(5))
    assert np.isfinite(z).all()
    np.testing.assert_allclose(t.inverse(z, np.arange(5)), y)


@pytest.mark.parametrize("scaler", [Scaler.standard, Scaler.minmax])
def test_sklearn_scalers_fit_on_given_part_only(scaler: Scaler) -> None:
    train = np.array([1.0, 2.0, 3.0, 4.0])
    t, _ = fit_transform(train, np.arange(4), scaler, Deseason.off, 1, 2)
    future = np.array([100.0])
    z = t.forward(future, np.array([4]))
    if scaler is Scaler.standard:
        assert z[0] == pytest.approx((100 - 2.5) / np.std(train))
    else:
        assert z[0] == pytest.approx((100 - 1) / 3)
    assert t.inverse(z, np.array([4]))[0] == pytest.approx(100.0)


def test_transform_json_round_trip() -> None:
    from forecast.model.transforms import SeriesTransform

    y = 50 + 10 * np.sin(np.arange(60) * 2 * np.pi / 12)
    t, _ = fit_transform(y, np.arange(60), Scaler.window, Deseason.on, 12, 24)
    assert t.seasonal is not None and len(t.seasonal) == 12
    again = SeriesTransform.from_dict(t.to_dict())
    assert again == t


def test_seasonal_indices_recover_a_pure_pattern() -> None:
    pattern = np.array([3.0, -1.0, -2.0, 0.0])
    z = np.tile(pattern, 10) + 0.5 * np.arange(40) / 40  # season 4 on a gentle trend
    idx = seasonal_indices(z, np.arange(40), 4)
    np.testing.assert_allclose(idx, pattern - pattern.mean(), atol=0.02)
    assert seasonality_test(z, 4)


def test_seasonality_test_rejects_noise() -> None:
    rng = np.random.default_rng(3)
    assert not seasonality_test(rng.normal(size=200), 12)


def test_seasonal_positions_are_respected() -> None:
    y = np.tile([10.0, 20.0, 30.0], 12)
    t, _ = fit_transform(y, np.arange(36), Scaler.window, Deseason.on, 3, 6)
    # the same value at the same seasonal position maps to the same z wherever it sits
    assert t.forward(np.array([20.0]), np.array([1]))[0] == pytest.approx(
        t.forward(np.array([20.0]), np.array([301]))[0]
    )


def test_transform_rows_equal_each_series_transform() -> None:
    from forecast.model.transforms import SeriesTransform, TransformRows

    rng = np.random.default_rng(2)
    transforms = [
        SeriesTransform("window", True, 1.5, 0.7, 12, tuple(rng.normal(0, 0.1, 12)), 12),
        SeriesTransform("window", False, -3.0, 2.0, 12, None, 12),
        SeriesTransform("standard", False, 10.0, 4.0, 12, tuple(rng.normal(0, 1, 12)), 0),
        SeriesTransform("window", True, 0.0, 1.0, 12, None, 12),
    ]
    y = rng.uniform(1, 500, (4, 9))
    pos = rng.integers(0, 300, 4)[:, None] + np.arange(9)
    rows = TransformRows.stack(transforms)
    z = rows.forward(y, pos)
    for k, t in enumerate(transforms):
        np.testing.assert_allclose(z[k], t.forward(y[k], pos[k]), rtol=1e-12)
        np.testing.assert_allclose(rows.inverse(z, pos)[k], t.inverse(z[k], pos[k]), rtol=1e-12)
    np.testing.assert_allclose(rows.inverse(z, pos), y, rtol=1e-10)


def test_calendar_features_follow_the_months() -> None:
    from forecast.data.frequency import season_phase
    from forecast.model.windows import Calendar, make_panel

    anchor = pd.Timestamp("2020-03-01")  # March: slot 2 of 12
    cal = Calendar(12, season_phase(anchor, "MS", 12))
    assert cal.phase == 2
    z = [np.arange(30.0), np.arange(20.0)]
    positions = [np.arange(30), np.arange(5, 25)]  # the second series starts in August 2020
    ws = make_panel(z, 4, 2, 0, positions, cal)
    x, _ = ws.batch(np.array([0, 30]))  # first window of each series
    assert x.shape == (2, 4, 3)
    months = np.array([[3, 4, 5, 6], [8, 9, 10, 11]]) - 1
    np.testing.assert_allclose(x[..., 1], np.sin(2 * np.pi * months / 12), atol=1e-6)
    np.testing.assert_allclose(x[..., 2], np.cos(2 * np.pi * months / 12), atol=1e-6)
    np.testing.assert_array_equal(x[..., 0], [[0, 1, 2, 3], [0, 1, 2, 3]])


@pytest.mark.parametrize(
    ("freq", "anchor", "season", "phase"),
    [
        ("MS", "2021-11-01", 12, 10),
        ("QS", "2021-07-01", 4, 2),
        ("D", "2024-01-03", 7, 2),
        ("h", "2024-01-01 05:00", 24, 5),
        ("YS", "2020-01-01", 1, 0),
        ("MS", "2021-11-01", 6, 0),
    ],
)
def test_season_phase(freq: str, anchor: str, season: int, phase: int) -> None:
    from forecast.data.frequency import season_phase

    assert season_phase(pd.Timestamp(anchor), freq, season) == phase
