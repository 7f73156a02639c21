"""Rolling-origin backtests: fold boundaries, outputs, retrain or not."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import FAST, invoke, write_series

from forecast.workflows import backtest


def test_folds_never_see_the_future(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Values encode their own index: the largest value trained on tells where training stopped."""
    n = 90
    path = write_series(tmp_path / "index.csv", np.arange(1.0, n + 1.0))
    seen: list[float] = []
    real = backtest.fit_members

    def spy(cfg, panel, stage, on_epoch, epochs=None, **kwargs):
        seen.append(max(float(np.max(y)) for y in panel.values))
        return real(cfg, panel, stage, on_epoch, epochs, **kwargs)

    monkeypatch.setattr(backtest, "fit_members", spy)
    out = tmp_path / "bt"
    result = invoke(
        "backtest", path, "--folds", 3, "--step", 5, "--horizon", 6, "--lookback", 12, "--out", out, *FAST
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out / "backtest.csv")
    for fold, last_seen in zip((1, 2, 3), seen):
        rows = frame[frame["fold"] == fold]
        assert rows["actual"].min() == last_seen + 1  # the first forecast target follows the last value seen
    assert seen == [n - 6 - 10, n - 6 - 5, n - 6]
    assert frame.groupby("fold")["origin"].first().tolist() == ["2006-02-01", "2006-07-01", "2006-12-01"]


def test_backtest_outputs(seasonal_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "bt"
    result = invoke("backtest", seasonal_csv, "--folds", 2, "--out", out, "--json", *FAST[:-1])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert {p.name for p in out.iterdir()} >= {"backtest.csv", "metrics.json", "metrics_by_series.csv"}
    frame = pd.read_csv(out / "backtest.csv")
    expected = ["series", "fold", "origin", "date", "actual", "forecast", "lo-80", "hi-80", "lo-95", "hi-95"]
    assert list(frame.columns) == [*expected, "method", "naive", "seasonal_naive", "drift"]
    assert set(frame["method"]) <= {"model", "comb"}  # each fold's choice on its own validation
    assert len(frame) == 2 * 12
    assert ((frame["lo-80"] < frame["forecast"]) & (frame["forecast"] < frame["hi-80"])).all()
    both = frame.dropna(subset=["lo-95"])  # 95% needs 19 calibration errors per step: not every step has them
    assert len(both) and ((both["lo-95"] <= both["lo-80"]) & (both["hi-80"] <= both["hi-95"])).all()
    metrics = summary["metrics"]
    assert [f["fold"] for f in metrics["by_fold"]] == [1, 2]
    assert set(metrics["overall"]) == {"model", "net", "comb", "naive", "seasonal_naive", "drift"}
    assert metrics["verdict"].startswith(("the choice made on validation (LSTM ", "warning: the choice made"))
    assert set(metrics["coverage"]) == {"80", "95"}


def test_no_retrain_trains_once(seasonal_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = backtest.fit_members

    def spy(*args, **kwargs):
        calls.append(args[2])
        return real(*args, **kwargs)

    monkeypatch.setattr(backtest, "fit_members", spy)
    result = invoke(
        "backtest", seasonal_csv, "--folds", 3, "--step", 3, "--no-retrain", "--out", tmp_path / "b", *FAST
    )
    assert result.exit_code == 0, result.output
    assert calls == ["fold 1/3"]
    assert pd.read_csv(tmp_path / "b" / "backtest.csv")["fold"].nunique() == 3


def test_too_many_folds_is_bad_data(seasonal_csv: Path, tmp_path: Path) -> None:
    result = invoke("backtest", seasonal_csv, "--folds", 50, "--out", tmp_path / "b", *FAST)
    assert result.exit_code == 3 and "need at least" in result.stderr
