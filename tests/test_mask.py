"""Gaps without repair: ``--fill mask`` keeps missing values missing. The loss and the scores
skip them, the network reads carried and bridged values, forecasts start from the last
observed values, and the default still refuses a gap, naming it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import invoke

from forecast.model import loop
from forecast.model.missing import bridged, carried, interpolated
from forecast.scoring import metrics

NET = ["--hidden-size", "16", "--layers", "1", "--no-plot", "--quiet"]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def _series(n: int = 144, seed: int = 0) -> np.ndarray:
    """Monthly sales with a trend, a December peak three times the rest, and 3% noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    season = np.where(t % 12 == 11, 3.0, 1.0 + 0.1 * np.sin(2 * np.pi * t / 12))
    return 100 * np.exp(0.004 * t) * season * np.exp(rng.normal(0, 0.03, n))


def _write(path: Path, values: np.ndarray) -> Path:
    dates = pd.date_range("2010-01-01", periods=len(values), freq="MS").strftime("%Y-%m-%d")
    pd.DataFrame({"month": dates, "sales": values}).to_csv(path, index=False, na_rep="")
    return path


def _panel(path: Path, series: list[np.ndarray]) -> Path:
    """A long panel file (id, month, sales) of these monthly series, empty cells for NaN."""
    rows = []
    for k, y in enumerate(series):
        dates = pd.date_range("2010-01-01", periods=len(y), freq="MS").strftime("%Y-%m-%d")
        rows.append(pd.DataFrame({"id": f"s{k}", "month": dates, "sales": y}))
    pd.concat(rows).to_csv(path, index=False, na_rep="")
    return path


def _holdout_mase(run: Path, truth: np.ndarray, season: int = 12) -> float:
    """The hold-out forecast's MASE against the complete series, with the complete series' scale."""
    holdout = pd.read_csv(run / "holdout.csv")
    n = len(holdout)
    actual, history = truth[-n:], truth[:-n]
    return float(
        np.mean(np.abs(actual - holdout["forecast"].to_numpy())) / metrics.mase_scale(history, season)
    )


def test_carried_interpolated_and_bridged_read_only_what_they_may() -> None:
    y = np.array([np.nan, 2.0, np.nan, np.nan, 5.0, np.nan])
    np.testing.assert_array_equal(carried(y), [2, 2, 2, 2, 5, 5])
    np.testing.assert_array_equal(interpolated(y), [2, 2, 3, 4, 5, 5])
    window = carried(y)[None, :]
    flags = np.isfinite(y)[None, :].astype(np.float32)
    # a straight line to the next observed value inside the window; carried after the last one
    np.testing.assert_array_equal(bridged(window, flags), [[2, 2, 3, 4, 5, 5]])
    # cut before the 5 arrives, the window cannot see it: the 2 is carried
    np.testing.assert_array_equal(bridged(window[:, :4], flags[:, :4]), [[2, 2, 2, 2]])


def test_the_masked_loss_counts_observed_targets_only() -> None:
    pred = torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]], requires_grad=True)
    target = torch.tensor([[2.0, float("nan"), 1.0], [float("nan")] * 3])
    loss = loop.MaskedLoss(torch.nn.L1Loss())(pred, target)
    assert loss.item() == pytest.approx((1.0 + 2.0) / 2)
    loss.backward()
    assert pred.grad is not None and torch.isfinite(pred.grad).all() and pred.grad[1].abs().sum() == 0
    none = loop.MaskedLoss(torch.nn.MSELoss())(pred, torch.full((2, 3), float("nan")))
    assert none.item() == 0.0


def test_the_default_refuses_a_gap_and_suggests_mask(tmp_path: Path) -> None:
    y = _series()
    y[50] = np.nan
    path = _write(tmp_path / "gap.csv", y)
    result = invoke("train", path, *NET)
    assert result.exit_code == 3
    assert "line 52 (date 2014-03-01)" in result.stderr and "--fill mask" in result.stderr


def test_validate_counts_the_cells_mask_keeps_missing(tmp_path: Path) -> None:
    frame = pd.DataFrame({"id": ["a"] * 60 + ["b"] * 60, "month": list(pd.date_range("2010-01-01", periods=60, freq="MS").strftime("%Y-%m-%d")) * 2, "v": 1.0})  # fmt: skip
    frame.loc[[3, 4], "v"] = np.nan
    frame = frame.drop(index=[70, 71, 72])  # three missing dates in series b
    path = tmp_path / "p.csv"
    frame.to_csv(path, index=False, na_rep="")
    result = invoke("validate", path, "--id-col", "id", "--fill", "mask", "--json")
    assert result.exit_code == 0, result.output
    rows = {r["series"]: r["masked"] for r in json.loads(result.stdout)["series"]}
    assert rows == {"a": 2, "b": 3}
    assert "--fill mask will keep 5 value(s) missing, in 2 series" in result.stderr


def test_a_tenth_missing_at_random_scores_near_complete_and_beats_interpolation(tmp_path: Path) -> None:
    """Four peaky seasonal series with 10% of their values removed at random: masked, their
    mean hold-out MASE is within 10% of the complete series' and below interpolation's, which
    invents Decembers a third of their size and trains on them."""
    scores: dict[str, list[float]] = {"complete": [], "mask": [], "interpolate": []}
    for seed in range(2, 6):
        truth = _series(seed=seed)
        damaged = truth.copy()
        rng = np.random.default_rng(seed)
        damaged[rng.choice(np.arange(1, len(truth) - 12), len(truth) // 10, replace=False)] = np.nan
        complete, masked = _write(tmp_path / "complete.csv", truth), _write(tmp_path / "damaged.csv", damaged)
        for name, path in (("complete", complete), ("mask", masked), ("interpolate", masked)):
            out = tmp_path / name
            fill = "none" if name == "complete" else name
            result = invoke("train", path, "--fill", fill, "--out", out, "--seed", seed, *NET)
            assert result.exit_code == 0, result.output
            scores[name].append(_holdout_mase(out, truth))
    mean = {name: float(np.mean(v)) for name, v in scores.items()}
    assert mean["mask"] <= 1.1 * mean["complete"], mean
    assert mean["mask"] <= mean["interpolate"], mean


def test_a_panel_with_a_long_gap_trains_scores_and_forecasts_from_the_last_observed(tmp_path: Path) -> None:
    series = [_series(seed=k) * (k + 1) for k in range(4)]
    series[1][40:70] = np.nan  # two and a half years missing
    series[2][-14:-10] = np.nan  # inside the hold-out: not scored there
    series[2][-2:] = np.nan  # the last two months are empty: forecasts start from the last observed
    path = _panel(tmp_path / "panel.csv", series)
    out = tmp_path / "run"
    result = invoke("train", path, "--id-col", "id", "--fill", "mask", "--out", out, "--json", *NET)
    assert result.exit_code == 0, result.output
    assert "masked 36 missing value(s) with --fill mask" in " ".join(json.loads(result.stdout)["warnings"])
    holdout = pd.read_csv(out / "holdout.csv")
    s2 = holdout[holdout["series"] == "s2"]
    assert s2["actual"].isna().sum() == 4 and s2["forecast"].notna().all()
    by_series = pd.read_csv(out / "metrics_by_series.csv").set_index("series")
    kept = s2.dropna(subset=["actual"])
    mae = float(np.mean(np.abs(kept["actual"] - kept["forecast"])))
    assert by_series.loc["s2", "model_mae"] == pytest.approx(mae)  # the missing actuals count for nothing
    assert np.isfinite(by_series["model_mase"]).all()
    result = invoke("predict", "--run", out, "--horizon", 6, "-q")
    assert result.exit_code == 0, result.output
    forecast = pd.read_csv(out / "forecast.csv")
    assert forecast["forecast"].notna().all() and (forecast["lo-80"] < forecast["hi-80"]).all()
    last = forecast[forecast["series"] == "s2"]["date"].iloc[0]
    assert last == (pd.Timestamp("2010-01-01") + pd.DateOffset(months=144)).strftime("%Y-%m-%d")
    result = invoke(
        "backtest", path, "--id-col", "id", "--fill", "mask", "--folds", 2, "--out", tmp_path / "bt", *NET
    )
    assert result.exit_code == 0, result.output


def test_leading_empty_cells_are_dropped_so_no_target_leaks_into_the_inputs(tmp_path: Path) -> None:
    """Long format: a series' empty cells before its first value are dropped (as in wide files),
    so a series observed only in the hold-out is short (seasonal naive), not an internal error."""
    series = [_series(seed=k) for k in range(3)]
    series[2][:-12] = np.nan  # observed only in the last 12 months
    path = _panel(tmp_path / "late.csv", series)
    out = tmp_path / "run"
    result = invoke("train", path, "--id-col", "id", "--fill", "mask", "--out", out, *NET)
    assert result.exit_code == 0, result.output
    series = json.loads((out / "series.json").read_text())
    assert series["network"] == [True, True, False] and series["method"][2] == "comb"
    assert json.loads((out / "config.json").read_text())["data"]["rows"] == 144 + 144 + 12


def test_seasonal_naive_over_gaps_keeps_each_slot_seasonal() -> None:
    from forecast.scoring import baselines

    y = np.array([1, 2, 3, 4, 5, np.nan, 7, np.nan, np.nan, np.nan, np.nan, np.nan])
    np.testing.assert_array_equal(baselines.forecast("seasonal_naive", y, 6, 4), [5, 2, 7, 4, 5, 2])
    np.testing.assert_array_equal(baselines.forecast("naive", y, 2, 4), [7, 7])
    np.testing.assert_array_equal(baselines.forecast("drift", y, 2, 4), [13, 14])  # slope 1 from the 7


def test_a_series_whose_feed_stopped_gets_wider_intervals_and_a_warning(tmp_path: Path) -> None:
    from forecast.scoring import intervals

    errors = np.random.default_rng(0).normal(0, 1, (200, 6)) * np.arange(1, 7)  # error grows with h
    series = np.zeros(200, dtype=np.int64)
    longer = intervals.bounds(errors, series, [0], (80,), 6)
    np.testing.assert_array_equal(intervals.bounds(errors, series, [0], (80,), 4, lags=[2]), longer[:, :, 2:])
    series = [_series(seed=k) for k in range(3)]
    series[1][-12:] = np.nan  # the whole hold-out: nothing of s1 to score there
    path = _panel(tmp_path / "stale.csv", series)
    out = tmp_path / "run"
    result = invoke("train", path, "--id-col", "id", "--fill", "mask", "--out", out, *NET)
    assert result.exit_code == 0, result.output
    assert "over 2 series" in json.loads((out / "metrics.json").read_text())["verdict"]  # s1 has no actual
    result = invoke("predict", "--run", out, "--json")
    assert result.exit_code == 0, result.output
    assert "1 series end in missing values ('s1' (12) missing at the end)" in " ".join(
        json.loads(result.stdout)["warnings"]
    )


def test_predict_names_the_runs_fill_for_a_gap_it_cannot_take(tmp_path: Path) -> None:
    y = _series()
    path = _write(tmp_path / "full.csv", y)
    out = tmp_path / "run"
    assert invoke("train", path, "--out", out, *NET).exit_code == 0
    y[-3] = np.nan
    result = invoke("predict", "--run", out, "--data", _write(tmp_path / "gap.csv", y))
    assert result.exit_code == 3
    assert "the run was trained with --fill none: repair the file, or retrain with --fill" in result.stderr


def test_the_missing_flag_is_an_input_of_its_own_and_needs_mask(tmp_path: Path) -> None:
    y = _series()
    y[[30, 60, 90]] = np.nan
    path = _write(tmp_path / "gaps.csv", y)
    out = tmp_path / "run"
    result = invoke("train", path, "--fill", "mask", "--missing-flag", "--out", out, *NET)
    assert result.exit_code == 0, result.output
    model = json.loads((out / "config.json").read_text())["settings"]["model"]
    assert model["input_size"] == 2  # the value and the indicator
    assert invoke("predict", "--run", out, "-q").exit_code == 0
    assert pd.read_csv(out / "forecast.csv")["forecast"].notna().all()
    result = invoke("train", _write(tmp_path / "full.csv", _series()), "--missing-flag", *NET)
    assert result.exit_code == 2 and "add --fill mask" in result.stderr
