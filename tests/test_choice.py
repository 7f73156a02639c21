"""Choices made on validation (``workflows.choice``): each series gets the network or the
statistical safety net, whichever erred least at validation origins before the hold-out; the
hold-out scores that choice honestly and the run ships it (forecast.csv's method column)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from tests.conftest import SMALL_NET, invoke, make_panel, write_series


def _train(data: Path, out: Path, *extra: object) -> dict:
    result = invoke("train", data, "--out", out, "--runs-dir", out.parent / "runs", *SMALL_NET, *extra)
    assert result.exit_code == 0, result.output
    return json.loads((out / "metrics.json").read_text())


def test_a_short_noisy_series_where_the_net_loses_gets_the_safety_net_and_says_so(tmp_path: Path):
    rng = np.random.default_rng(4)
    data = write_series(tmp_path / "noisy.csv", 50 + rng.normal(0, 8, 84))  # noise around a level
    run = tmp_path / "run"
    metrics = _train(data, run, "--epochs", "10")
    choice = metrics["choice"]
    assert choice["candidates"] == ["net", "comb"] and choice["validation_origins"] >= 10
    assert choice["holdout"]["net"] == 0 and choice["shipped"]["net"] == 0
    assert "(chosen on validation over LSTM" in metrics["verdict"]
    holdout = pd.read_csv(run / "holdout.csv")
    assert set(holdout["method"]) == {"comb"}
    picked = holdout["method"].iloc[0]
    np.testing.assert_allclose(holdout["forecast"], holdout[picked])  # the chosen one is the forecast
    series = json.loads((run / "series.json").read_text())
    assert series["method"] == ["comb"] and series["network"] == [True]
    result = invoke("predict", "--run", run, "--quiet")
    assert result.exit_code == 0, result.output
    forecast = pd.read_csv(run / "forecast.csv")
    assert set(forecast["method"]) == {series["method"][0]}
    assert forecast[["lo-80", "hi-80", "lo-95", "hi-95"]].notna().all().all()
    assert (forecast["lo-95"] <= forecast["forecast"]).all() and (
        forecast["forecast"] <= forecast["hi-95"]
    ).all()


def test_a_long_regular_series_gets_the_net(tmp_path: Path):
    """A 7-month cycle in monthly data: the network reads it from its lookback; Theta and ETS,
    which know only a level, a trend and the 12-month season, cannot."""
    t = np.arange(300)
    rng = np.random.default_rng(0)
    data = write_series(tmp_path / "cycle.csv", 100 + 20 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 1, 300))
    run = tmp_path / "run"
    metrics = _train(data, run, "--epochs", "20")
    assert metrics["choice"]["holdout"] == {"net": 1, "comb": 0}, metrics["verdict"]
    assert metrics["choice"]["shipped"]["net"] == 1
    assert metrics["verdict"].startswith("LSTM (chosen on validation over Theta+ETS) beats")
    assert metrics["net"]["mase"] < 0.5 * metrics["comb"]["mase"]
    assert invoke("predict", "--run", run, "--quiet").exit_code == 0
    assert set(pd.read_csv(run / "forecast.csv")["method"]) == {"model"}


def test_the_validation_origins_never_see_the_holdout(tmp_path: Path):
    """Two files that differ only in their hold-out values: every forecast of the hold-out (the
    chosen one, each candidate's) and the choice itself are identical."""
    rng = np.random.default_rng(2)
    t = np.arange(84)
    values = 100 + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 3, 84)
    changed = values.copy()
    changed[-12:] *= 3.0
    outs = []
    for name, v in (("a", values), ("b", changed)):
        data = write_series(tmp_path / f"{name}.csv", v)
        metrics = _train(data, tmp_path / name, "--epochs", "4", "--no-refit")
        outs.append((metrics["choice"]["holdout"], pd.read_csv(tmp_path / name / "holdout.csv")))
    (choice_a, a), (choice_b, b) = outs
    assert choice_a == choice_b
    cols = ["forecast", "method", "net", "comb", "lo-80", "hi-80"]
    pd.testing.assert_frame_equal(a[cols], b[cols])
    assert not np.allclose(a["actual"], b["actual"])


def test_candidates_model_keeps_the_net_alone(tmp_path: Path):
    rng = np.random.default_rng(4)
    data = write_series(tmp_path / "noisy.csv", 50 + rng.normal(0, 8, 60))
    run = tmp_path / "run"
    metrics = _train(data, run, "--epochs", "3", "--candidates", "model")
    assert metrics["choice"]["candidates"] == ["net"] and metrics["choice"]["shipped"] == {"net": 1}
    assert metrics["verdict"].split(" ")[0] in ("LSTM", "warning:")
    assert "net" not in pd.read_csv(run / "holdout.csv").columns
    bad = invoke(
        "train",
        data,
        "--out",
        tmp_path / "bad",
        "--runs-dir",
        tmp_path / "runs",
        "--candidates",
        "model,arima",
        "--quiet",
    )
    assert bad.exit_code == 2 and "--candidates must name some of model, theta, ets, comb" in bad.output


def test_predict_method_picks_one_method_for_every_series(tmp_path: Path):
    rng = np.random.default_rng(4)
    data = write_series(tmp_path / "noisy.csv", 50 + rng.normal(0, 8, 60))
    run = tmp_path / "run"
    _train(data, run, "--epochs", "3")
    for method in ("model", "theta", "ets", "comb"):
        out = tmp_path / f"{method}.csv"
        result = invoke("predict", "--run", run, "--method", method, "--out", out, "--quiet")
        assert result.exit_code == 0, result.output
        assert set(pd.read_csv(out)["method"]) == {method}


def test_series_too_short_for_the_network_get_a_statistical_method(tmp_path: Path):
    panel = make_panel(n_series=12, length=72, short_every=4)  # 3 series of 20 rows
    data = tmp_path / "panel.csv"
    panel.to_csv(data, index=False)
    run = tmp_path / "run"
    metrics = _train(data, run, "--id-col", "series", "--epochs", "3")
    series = json.loads((run / "series.json").read_text())
    short = [m for m, n in zip(series["method"], series["network"]) if not n]
    assert short == ["comb"] * 3
    assert sum(metrics["choice"]["shipped"].values()) == 12  # the short ones are scored too
    assert metrics["scored_series"] == 12
    assert invoke("predict", "--run", run, "--quiet").exit_code == 0
    forecast = pd.read_csv(run / "forecast.csv")
    by_series = forecast.groupby("series")["method"].first()
    assert list(by_series[["s00", "s04", "s08"]]) == short


def test_a_series_too_short_to_validate_the_net_gets_the_safety_net_by_default(tmp_path: Path):
    """60 months, lookback 24, horizon 12: the network needs every window to train, so it has no
    validation origins; with no evidence for it, the statistical candidates' own validation
    decides, and the hold-out (out of sample for the network too) decides what is shipped."""
    rng = np.random.default_rng(4)
    data = write_series(tmp_path / "noisy.csv", 50 + rng.normal(0, 8, 60))
    run = tmp_path / "run"
    metrics = _train(data, run, "--epochs", "3")
    assert metrics["choice"]["validation_origins"] == 0 and metrics["choice"]["holdout"]["net"] == 0
    assert "no validation origins for LSTM at --val-size 0: the safety net by default" in metrics["verdict"]


def test_a_series_too_short_for_the_network_gets_a_run_of_the_safety_net(tmp_path: Path):
    """40 months cannot give lookback 24 + horizon 12 + a 12-month hold-out: no network is
    trained, the safety net's hold-out is scored, and predict forecasts with it. With the
    network alone (--candidates model) it is refused as before, naming both needs."""
    rng = np.random.default_rng(4)
    data = write_series(tmp_path / "short.csv", 50 + rng.normal(0, 8, 40))
    run = tmp_path / "run"
    result = invoke("train", data, "--out", run, "--runs-dir", tmp_path / "runs", "--no-plot")
    assert result.exit_code == 0, result.output
    assert "no network trained (every series too short for it)" in result.output
    metrics = json.loads((run / "metrics.json").read_text())
    assert "too short to train LSTM: the safety net by default" in metrics["verdict"]
    assert metrics["model"]["mase"] < metrics["seasonal_naive"]["mase"]
    series = json.loads((run / "series.json").read_text())
    assert series["network"] == [False] and series["method"] == ["comb"]
    assert invoke("predict", "--run", run, "--quiet").exit_code == 0
    assert set(pd.read_csv(run / "forecast.csv")["method"]) == {series["method"][0]}
    alone = invoke(
        "train",
        data,
        "--out",
        tmp_path / "net",
        "--runs-dir",
        tmp_path / "runs",
        "--candidates",
        "model",
        "--quiet",
    )
    assert alone.exit_code == 3 and "need at least lookback + horizon + test-size" in alone.output
    tiny = write_series(tmp_path / "tiny.csv", np.arange(15.0))
    refused = invoke("train", tiny, "--out", tmp_path / "tiny", "--runs-dir", tmp_path / "runs", "--quiet")
    assert refused.exit_code == 3 and "= 48 for the network, 17 for Theta or ETS" in refused.output


def test_the_run_ships_the_network_only_where_the_holdout_confirms_validation():
    from forecast.workflows.choice import Evidence

    names = ("model", "theta", "comb")
    val, hold = Evidence.empty(names, 3), Evidence.empty(names, 3)
    rows = np.arange(3)
    actual = np.zeros((3, 2))
    val.record("model", rows, actual, np.ones((3, 2)))  # validation: the network best everywhere
    val.record("theta", rows, actual, np.full((3, 2), 3.0))
    val.record("comb", rows, actual, np.full((3, 2), 2.0))
    hold.record("model", rows, actual, np.array([[1.0, 1.0], [5.0, 5.0], [5.0, 5.0]]))
    hold.record("theta", rows, actual, np.array([[3.0, 3.0], [1.0, 1.0], [4.0, 4.0]]))
    hold.record("comb", rows, actual, np.array([[2.0, 2.0], [2.0, 2.0], [3.0, 3.0]]))
    # confirmed on series 0; on 1 and 2 the hold-out disagrees: the statistical candidate with
    # the smaller error over both (series 1: theta 2 vs comb 2, the first; series 2: comb)
    assert val.confirmed(hold).tolist() == ["model", "theta", "comb"]
    assert val.confirmed(Evidence.empty(names, 3)).tolist() == ["model"] * 3  # no hold-out: validation
    alone = Evidence.empty(("model",), 1)
    assert alone.confirmed(alone).tolist() == ["model"]


def test_a_run_of_the_safety_net_alone_predicts_even_shorter_than_the_lookback(tmp_path: Path):
    """20 rows: no network (lookback 24 alone is longer), and predict still forecasts; asking
    for the network is a usage error naming why, and a series.json that names the network for
    a run that trained none is refused as altered (exit 4)."""
    data = write_series(tmp_path / "s20.csv", 50 + np.random.default_rng(1).normal(0, 5, 20))
    run = tmp_path / "run"
    assert (
        invoke("train", data, "--out", run, "--runs-dir", tmp_path / "runs", "--no-plot", "--quiet").exit_code
        == 0
    )
    result = invoke("predict", "--run", run, "--quiet")
    assert result.exit_code == 0, result.output
    assert set(pd.read_csv(run / "forecast.csv")["method"]) == {"comb"}
    forced = invoke("predict", "--run", run, "--method", "model", "--quiet")
    assert forced.exit_code == 2 and "trained no network on 'value'" in forced.output
    from tests.test_run_trust import craft  # rewrites a file and its SHA-256 in config.json

    bad = craft(run, tmp_path / "bad", series=lambda d: d.update(method=["model"], network=[True]))
    result = invoke("predict", "--run", bad, "--quiet")
    assert result.exit_code == 4 and "more than the 20 rows the run was trained on" in result.output


def test_masked_gaps_never_fill_a_validation_history_from_later_values():
    """--fill mask: the statistical candidates read gaps carried forward, so a forecast from an
    origin right after a gap does not move when the values after the origin do."""
    from forecast.core.choices import Fill
    from forecast.core.config import DataConfig, RunConfig
    from forecast.scoring import statistical
    from forecast.workflows.choice import history

    cfg = RunConfig(data=DataConfig(path="x.csv", fill=Fill.mask))
    y = 100 + np.cumsum(np.random.default_rng(3).normal(0, 1, 60))
    y[47:50] = np.nan
    later = y.copy()
    later[50:53] += 50
    a = statistical.origin_forecasts("theta", history(cfg, y), 1, 3, np.array([50]))
    b = statistical.origin_forecasts("theta", history(cfg, later), 1, 3, np.array([50]))
    np.testing.assert_allclose(a, b)


def test_a_validation_split_shorter_than_the_output_gives_the_network_no_evidence(tmp_path: Path):
    """--val-size 6 with a 12-step output: no validation split, so the network trained on every
    target and its 'validation' errors would be in sample: it is not validated at all."""
    t = np.arange(120)
    data = write_series(
        tmp_path / "s.csv", 100 + 10 * np.sin(2 * np.pi * t / 12) + np.random.default_rng(0).normal(0, 1, 120)
    )
    metrics = _train(data, tmp_path / "run", "--epochs", "2", "--val-size", "6")
    assert metrics["choice"]["validation_origins"] == 0 and metrics["choice"]["holdout"]["net"] == 0
    assert "no validation origins for LSTM at --val-size 6" in metrics["verdict"]
