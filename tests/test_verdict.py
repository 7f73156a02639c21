"""The verdict against the best baseline, predict --method, horizon warnings, default intervals."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import FAST, invoke, write_series

from forecast.scoring import baselines, evaluation


def _scores(model: float, naive: float, snaive: float, drift: float) -> dict:
    row = lambda v: {"mae": v, "rmse": v, "mape": v, "smape": v, "mase": v}  # noqa: E731
    return {"model": row(model), "naive": row(naive), "seasonal_naive": row(snaive), "drift": row(drift)}


def test_verdict_compares_with_the_best_baseline_not_only_seasonal_naive() -> None:
    """Regression: daily data 'beat seasonal naive by 24%' while naive had half the model's error."""
    line = evaluation.verdict("LSTM", _scores(1.0, 0.5, 1.3, 0.9), 1, 7)
    assert line.startswith("warning: LSTM does not beat naive (MASE 1.000 vs 0.500)")
    assert "forecast predict --method naive" in line
    won = evaluation.verdict("GRU", _scores(0.4, 0.5, 1.3, 0.9), 1, 7)
    assert won.startswith("GRU beats the best baseline, naive, by 20% MASE")


def test_without_a_season_seasonal_naive_is_not_a_separate_baseline() -> None:
    c = evaluation.compare(_scores(1.0, 0.8, 0.7, 0.9), season=1)  # 0.7 would be naive again
    assert c["baseline"] == "naive" and evaluation.baselines_for(1) == ("naive", "drift")


def test_a_one_origin_holdout_points_to_backtest() -> None:
    line = evaluation.verdict("LSTM", _scores(0.4, 0.5, 0.6, 0.9), 1, 12, test_size=12, horizon=12)
    assert line.endswith("one 12-point hold-out: forecast backtest gives a surer verdict")
    long = evaluation.verdict("LSTM", _scores(0.4, 0.5, 0.6, 0.9), 1, 12, test_size=24, horizon=12)
    assert "backtest" not in long


@pytest.mark.parametrize("method", baselines.METHODS)
def test_baseline_intervals_are_conformal_over_past_origins(method: str) -> None:
    """A baseline fits nothing: each past origin's error is out of sample; with a random walk,
    the 80% interval covers about 80% of fresh steps."""
    rng = np.random.default_rng(0)
    inside, total = 0, 0
    for _ in range(200):
        y = 100 + np.cumsum(rng.normal(0, 1, 81))
        history, future = y[:80], y[80]
        point = baselines.forecast(method, history, 1, 12)
        lo, hi = baselines.bounds(method, history, 1, 12, (80,), point)[:, 0]
        inside += int(lo <= future <= hi)
        total += 1
    assert 0.7 <= inside / total <= 0.9


def test_predict_method_writes_the_baseline_and_says_so(tmp_path: Path) -> None:
    """Regression: the verdict recommended a forecast the tool could not write. An exactly
    seasonal series: seasonal naive wins the hold-out, predict warns, --method writes it."""
    t = np.arange(96)
    path = write_series(tmp_path / "exact.csv", 100 + 20 * np.sin(2 * np.pi * t / 12))
    out = tmp_path / "run"
    result = invoke("train", path, "--out", out, "--runs-dir", tmp_path / "runs", "--json", *FAST)
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["comparison"]["baseline"] == "seasonal_naive" and not metrics["comparison"]["model_wins"]
    assert "forecast predict --method seasonal_naive" in metrics["verdict"]
    plain = invoke("predict", "--run", out, "--json")
    assert plain.exit_code == 0, plain.output
    assert any("lost to seasonal naive" in w for w in json.loads(plain.stdout)["warnings"])
    chosen = invoke("predict", "--run", out, "--method", "seasonal_naive", "--horizon", 24, "--json")
    assert chosen.exit_code == 0, chosen.output
    summary = json.loads(chosen.stdout)
    assert summary["method"] == "seasonal_naive"
    assert not any("lost to" in w for w in summary["warnings"])
    frame = pd.read_csv(out / "forecast.csv")
    expected = np.resize(100 + 20 * np.sin(2 * np.pi * t[-12:] / 12), 24)
    np.testing.assert_allclose(frame["forecast"], expected)
    assert frame[["lo-80", "hi-80", "lo-95", "hi-95"]].notna().all().all()


def test_horizon_far_past_the_trained_one_warns(tmp_path: Path, seasonal_csv: Path) -> None:
    """Regression: --horizon 1000 on a short series rolled to 2077 without a word."""
    out = tmp_path / "run"
    result = invoke("train", seasonal_csv, "--out", out, "--runs-dir", tmp_path / "runs", *FAST)
    assert result.exit_code == 0, result.output
    near = invoke("predict", "--run", out, "--horizon", 24, "--json")
    assert near.exit_code == 0, near.output
    assert not json.loads(near.stdout)["warnings"], near.output
    far = invoke("predict", "--run", out, "--horizon", 200, "--json")
    assert far.exit_code == 0, far.output
    warned = json.loads(far.stdout)["warnings"]
    assert any(
        "17x the trained horizon (12): after step 12 the model's own forecasts are fed back" in w
        for w in warned
    )
    assert any("longer than the history (120 points)" in w for w in warned)


def test_default_validation_gives_95_percent_intervals_on_an_ordinary_series(
    tmp_path: Path, seasonal_csv: Path
) -> None:
    """Regression: a 120-month series (and a 1,461-day one) got no 95% interval by default."""
    out = tmp_path / "run"
    result = invoke("train", seasonal_csv, "--out", out, "--runs-dir", tmp_path / "runs", "--json", *FAST)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["settings"]["window"]["val_size"] == 31  # 12 - 1 + 20: 20 errors at step 12
    assert summary["metrics"]["holdout_coverage"]["95"] is not None
    assert not any("intervals" in w for w in summary["warnings"])
