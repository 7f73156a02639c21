"""Panels: one global model over many series, fallbacks, subsets, wide input, ensembles."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import SMALL_NET, invoke, make_panel


@pytest.fixture(scope="module")
def panel_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("panel")
    path = tmp / "panel.csv"
    make_panel().sample(frac=1.0, random_state=1).to_csv(path, index=False)  # rows shuffled
    out = tmp / "run"
    result = invoke(
        "train",
        path,
        "--id-col",
        "series",
        "--out",
        out,
        "--runs-dir",
        tmp / "runs",
        "--json",
        "--epochs",
        40,
        "--patience",
        8,
        *SMALL_NET,
    )
    assert result.exit_code == 0, result.output
    return path, out


def test_global_model_beats_seasonal_naive(panel_run: tuple[Path, Path]) -> None:
    _, out = panel_run
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["series"] == 30 and metrics["scored_series"] == 30  # the 3 short ones by the safety net
    assert metrics["model"]["mase"] < 0.8 * metrics["seasonal_naive"]["mase"], metrics
    by_series = pd.read_csv(out / "metrics_by_series.csv")
    assert len(by_series) == 30 and {"series", "model_smape", "seasonal_naive_mase"} <= set(by_series.columns)
    assert by_series["model_mase"].mean() == pytest.approx(metrics["model"]["mase"])
    holdout = pd.read_csv(out / "holdout.csv")
    assert list(holdout.columns)[:2] == ["series", "date"] and len(holdout) == 30 * 12
    assert by_series["net_mase"].notna().sum() == 27  # the network's own scores: the series it forecasts


def test_predict_every_series_with_fallback(panel_run: tuple[Path, Path], tmp_path: Path) -> None:
    """Series too short for the network get the statistical method their validation chose;
    with --method model, the network's series stay its own and the short ones seasonal naive."""
    from forecast.scoring import statistical

    path, out = panel_run
    result = invoke("predict", "--run", out, "--horizon", 6, "--json")
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out / "forecast.csv")
    assert list(frame.columns) == ["series", "date", "forecast", "lo-80", "hi-80", "lo-95", "hi-95", "method"]
    model = frame[frame["method"] == "model"]
    assert (
        len(model)
        and (model["lo-80"] < model["forecast"]).all()
        and (model["forecast"] < model["hi-80"]).all()
    )
    assert frame["series"].nunique() == 30 and len(frame) == 180
    methods = frame.groupby("series")["method"].first()
    assert set(methods[["s00", "s10", "s20"]]) == {"comb"}
    data = pd.read_csv(path)
    short = data[data["series"] == "s10"].sort_values("month")["sales"].to_numpy()
    expected = statistical.forecast(methods["s10"], short, 12, 6)
    np.testing.assert_allclose(frame.loc[frame["series"] == "s10", "forecast"], expected)
    last = pd.Timestamp(data.loc[data["series"] == "s01", "month"].max())
    first_fc = frame.loc[frame["series"] == "s01", "date"].iloc[0]
    assert pd.Timestamp(first_fc) == last + pd.DateOffset(months=1)
    assert "forecast by seasonal naive" not in " ".join(json.loads(result.stdout)["warnings"])

    net = tmp_path / "net.csv"
    result = invoke("predict", "--run", out, "--horizon", 6, "--json", "--method", "model", "--out", net)
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(net)
    methods = frame.groupby("series")["method"].first()
    assert sorted(methods[methods == "seasonal_naive"].index) == ["s00", "s10", "s20"]
    assert (methods[methods != "seasonal_naive"] == "model").all()
    fallback = frame[frame["method"] == "seasonal_naive"]  # intervals from its own past errors
    assert fallback["lo-80"].notna().any() and fallback["lo-95"].isna().any()  # 20 points: few errors
    shown = fallback.dropna(subset=["lo-80"])
    assert ((shown["lo-80"] <= shown["forecast"]) & (shown["forecast"] <= shown["hi-80"])).all()
    np.testing.assert_allclose(frame.loc[frame["series"] == "s10", "forecast"], np.resize(short[-12:], 6))
    assert "3 of 30 series forecast by seasonal naive" in " ".join(json.loads(result.stdout)["warnings"])


def test_predict_subset(panel_run: tuple[Path, Path], tmp_path: Path) -> None:
    _, out = panel_run
    target = tmp_path / "two.csv"
    result = invoke("predict", "--run", out, "--series", "s05", "--series", "s07", "--out", target, "-q")
    assert result.exit_code == 0, result.output
    assert sorted(pd.read_csv(target)["series"].unique()) == ["s05", "s07"]
    result = invoke("predict", "--run", out, "--series", "nope")
    assert result.exit_code == 3 and "no series ['nope']" in result.stderr


def _mase(actual: np.ndarray, forecast: np.ndarray, history: np.ndarray, season: int = 12) -> float:
    scale = np.mean(np.abs(history[season:] - history[:-season]))
    return float(np.mean(np.abs(actual - forecast)) / scale)


def test_series_the_run_never_saw_are_forecast_by_its_network(
    panel_run: tuple[Path, Path], tmp_path: Path
) -> None:
    """Cold start: the other half of the population (30 new series, new ids) forecast by the
    run's network from their own history beats seasonal naive on what comes next."""
    _, out = panel_run
    other = make_panel(seed=7)
    other["series"] = other["series"].str.replace("s", "u")
    left = other.groupby("series").cumcount(ascending=False)  # rows after this one, per series
    cut = other[(left >= 12) | (other.groupby("series")["sales"].transform("size") < 40)]
    path = tmp_path / "new.csv"
    cut.to_csv(path, index=False)
    result = invoke(
        "predict", "--run", out, "--data", path, "--horizon", 12, "--out", tmp_path / "f.csv", "--json"
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(tmp_path / "f.csv")
    methods = frame.groupby("series")["method"].first()
    assert sorted(methods[methods == "seasonal_naive"].index) == ["u00", "u10", "u20"]  # 20 rows: too short
    assert (methods.drop(["u00", "u10", "u20"]) == "model (unseen)").all()
    unseen = frame[frame["method"] == "model (unseen)"]
    assert unseen["lo-95"].notna().all() and (unseen["lo-95"] < unseen["forecast"]).all()  # pooled errors
    warnings = " ".join(json.loads(result.stdout)["warnings"])
    assert "27 series not in the run forecast by its network" in warnings
    assert "3 unseen series ('u00', 'u10', 'u20') shorter than the model's lookback" in warnings
    model, naive = [], []
    for sid in methods.drop(["u00", "u10", "u20"]).index:
        y = other.loc[other["series"] == sid, "sales"].to_numpy()
        history, actual = y[:-12], y[-12:]
        model.append(_mase(actual, frame.loc[frame["series"] == sid, "forecast"].to_numpy(), history))
        naive.append(_mase(actual, history[-12:], history))
    assert np.mean(model) < 0.8 * np.mean(naive), (np.mean(model), np.mean(naive))


def test_an_unseen_series_is_scaled_as_training_would_have(
    panel_run: tuple[Path, Path], tmp_path: Path
) -> None:
    """A trained series under a new id gets the transform the refit gave it: the same point
    forecast, with intervals from the pooled calibration errors instead of its own."""
    path, out = panel_run
    frame = pd.read_csv(path)
    frame.loc[frame["series"] == "s05", "series"] = "new"
    other = tmp_path / "other.csv"
    frame.to_csv(other, index=False)
    net = ("--method", "model")  # the trained series by the network too, not the method train chose
    assert invoke("predict", "--run", out, "--out", tmp_path / "known.csv", "-q", *net).exit_code == 0
    result = invoke("predict", "--run", out, "--data", other, "--out", tmp_path / "cold.csv", "-q", *net)
    assert result.exit_code == 0, result.output
    known, cold = pd.read_csv(tmp_path / "known.csv"), pd.read_csv(tmp_path / "cold.csv")
    new = cold[cold["series"] == "new"]
    assert (new["method"] == "model (unseen)").all()
    np.testing.assert_allclose(new["forecast"], known.loc[known["series"] == "s05", "forecast"], rtol=1e-9)
    same = known[known["series"] != "s05"].reset_index(drop=True)
    pd.testing.assert_frame_equal(cold[cold["series"] != "new"].reset_index(drop=True), same)


def test_an_unseen_series_the_network_cannot_read_gets_the_fallback(
    panel_run: tuple[Path, Path], tmp_path: Path
) -> None:
    """A run trained only on non-negative (log-scaled) series never saw a plain-scaled window."""
    _, out = panel_run
    other = make_panel(n_series=3, short_every=0, seed=3)
    other.loc[other["series"] == "s01", "sales"] -= other["sales"].max()  # all negative
    other["series"] = "v" + other["series"]
    path = tmp_path / "neg.csv"
    other.to_csv(path, index=False)
    result = invoke("predict", "--run", out, "--data", path, "--out", tmp_path / "f.csv")
    assert result.exit_code == 0, result.output
    methods = pd.read_csv(tmp_path / "f.csv").groupby("series")["method"].first()
    assert methods.to_dict() == {"vs00": "model (unseen)", "vs01": "seasonal_naive", "vs02": "model (unseen)"}
    assert "1 unseen series ('vs01'): has negative values" in " ".join(result.stderr.split())
    one = tmp_path / "one.csv"  # a panel run reads new data with its columns: the id column too
    other[other["series"] == "vs02"].drop(columns="series").to_csv(one, index=False)
    result = invoke("predict", "--run", out, "--data", one, "--out", tmp_path / "g.csv")
    assert result.exit_code == 3 and "no column 'series' (--id-col)" in result.stderr


def test_wide_format(tmp_path: Path) -> None:
    long = make_panel(n_series=4, length=60, short_every=0)
    wide = long.pivot(index="month", columns="series", values="sales").reset_index()  # ragged: empty ends
    path = tmp_path / "wide.csv"
    wide.to_csv(path, index=False)
    result = invoke("train", path, "--runs-dir", tmp_path)
    assert result.exit_code == 3 and "--wide" in result.stderr and "--value-col" in result.stderr
    out = tmp_path / "run"
    result = invoke("train", path, "--wide", "--out", out, "--runs-dir", tmp_path, "--epochs", 2, *SMALL_NET)
    assert result.exit_code == 0, result.output
    result = invoke("predict", "--run", out, "-q")
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out / "forecast.csv")
    assert sorted(frame["series"].unique()) == ["s00", "s01", "s02", "s03"]
    assert (frame.groupby("series").size() == 12).all()


def test_mixed_frequencies_name_two_series(tmp_path: Path) -> None:
    monthly = pd.DataFrame({"id": "a", "date": pd.date_range("2020-01-01", periods=30, freq="MS"), "y": 1.0})
    weekly = pd.DataFrame(
        {"id": "b", "date": pd.date_range("2020-01-05", periods=30, freq="W-SUN"), "y": 1.0}
    )
    path = tmp_path / "mixed.csv"
    pd.concat([monthly, weekly]).to_csv(path, index=False)
    result = invoke("train", path, "--id-col", "id", "--runs-dir", tmp_path)
    assert result.exit_code == 3
    assert "series 'b' has frequency W-SUN but series 'a' has MS" in result.stderr


def test_duplicate_in_one_series_named(tmp_path: Path) -> None:
    frame = make_panel(n_series=3, length=40, short_every=0)
    frame = pd.concat([frame, frame[frame["series"] == "s01"].iloc[[5]]])
    path = tmp_path / "dup.csv"
    frame.to_csv(path, index=False)
    result = invoke("train", path, "--id-col", "series", "--runs-dir", tmp_path)
    assert result.exit_code == 3 and "series 's01': duplicate date" in result.stderr


def test_gap_in_one_series_named_and_filled(tmp_path: Path) -> None:
    frame = make_panel(n_series=3, length=60, short_every=0)
    gone = frame[frame["series"] == "s02"].index[10]
    missing_date = frame.loc[gone, "month"]
    path = tmp_path / "gap.csv"
    frame.drop(index=gone).to_csv(path, index=False)
    result = invoke("train", path, "--id-col", "series", "--runs-dir", tmp_path)
    assert result.exit_code == 3
    assert f"series 's02': gap in the MS series: 1 missing date(s), first {missing_date}" in result.stderr
    out = tmp_path / "run"
    result = invoke(
        "train",
        path,
        "--id-col",
        "series",
        "--fill",
        "interpolate",
        "--out",
        out,
        "--runs-dir",
        tmp_path,
        "--epochs",
        1,
        *SMALL_NET,
    )
    assert result.exit_code == 0, result.output
    # the filled series is the file's plus one value between its neighbours; the others are untouched
    from forecast.core.config import DataConfig, Fill
    from forecast.data.dataset import read

    ds = read(DataConfig(path=str(path), id_col="series", date_col="month", fill=Fill.interpolate))
    assert len(ds.warnings) == 1 and "filled 1 missing value(s) with --fill interpolate" in ds.warnings[0]
    filled = ds.frame[ds.frame["unique_id"] == "s02"]
    s02 = frame[frame["series"] == "s02"]["sales"].to_numpy()
    assert len(filled) == 60 and filled["y"].iloc[10] == pytest.approx((s02[9] + s02[11]) / 2, rel=0.01)
    np.testing.assert_array_equal(np.delete(filled["y"].to_numpy(), 10), np.delete(s02, 10))
    untouched = ds.frame[ds.frame["unique_id"] == "s00"]["y"].to_numpy()
    np.testing.assert_array_equal(untouched, frame[frame["series"] == "s00"]["sales"].to_numpy())
    holdout = pd.read_csv(out / "holdout.csv")  # the hold-out scored the file's own last 12 values
    np.testing.assert_allclose(holdout[holdout["series"] == "s02"]["actual"], s02[-12:], rtol=1e-9)


def test_ensemble_is_median_of_members(tmp_path: Path) -> None:
    from forecast.model.rollforward import forecast_panel
    from forecast.workflows.fitting import calendar_of
    from forecast.workflows.saved_run import load_run

    path = tmp_path / "p.csv"
    make_panel(n_series=5, length=60, short_every=0).to_csv(path, index=False)
    out = tmp_path / "run"
    args = [
        "--id-col",
        "series",
        "--ensemble",
        3,
        "--epochs",
        3,
        "--out",
        out,
        "--runs-dir",
        tmp_path,
        *SMALL_NET,
    ]
    result = invoke("train", path, *args)
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out / "history.csv")["member"].nunique() == 3
    result = invoke("predict", "--run", out, "--horizon", 4, "-q")
    assert result.exit_code == 0, result.output
    run = load_run(out)
    assert len(run.models) == 3
    data = pd.read_csv(path).sort_values(["series", "month"])
    hist = [g["sales"].to_numpy() for _, g in data.groupby("series")]
    firsts = [0] * 5  # same grid offsets for every member: only the medians' agreement matters
    cal = calendar_of(run.config)
    members = [forecast_panel([m], run.transforms, hist, firsts, 24, 4, calendar=cal)[0] for m in run.models]
    together = forecast_panel(run.models, run.transforms, hist, firsts, 24, 4, calendar=cal)[0]
    assert not np.allclose(members[0], members[1])
    assert np.all(together >= np.min(members, axis=0) - 1e-9) and np.all(
        together <= np.max(members, axis=0) + 1e-9
    )


def test_intervals_cover_near_nominal(tmp_path: Path) -> None:
    """Series with known multiplicative noise: hold-out coverage of conformal intervals."""
    rng = np.random.default_rng(4)
    parts = []
    for k in range(40):
        n = 80
        level = 10 ** rng.uniform(1, 3)
        y = level * np.exp(rng.normal(0, 0.1, n))  # white noise around a level, in log space
        dates = pd.date_range("2015-01-01", periods=n, freq="MS").strftime("%Y-%m-%d")
        parts.append(pd.DataFrame({"series": f"n{k}", "month": dates, "sales": y}))
    path = tmp_path / "noise.csv"
    pd.concat(parts).to_csv(path, index=False)
    out = tmp_path / "run"
    args = ["--id-col", "series", "--out", out, "--runs-dir", tmp_path, "--epochs", 15, "--deseason", "off"]
    result = invoke("train", path, *args, *SMALL_NET)
    assert result.exit_code == 0, result.output
    coverage = json.loads((out / "metrics.json").read_text())["holdout_coverage"]
    assert abs(coverage["80"] - 0.80) < 0.08 and abs(coverage["95"] - 0.95) < 0.05, coverage
    holdout = pd.read_csv(out / "holdout.csv")
    assert (holdout["lo-95"] <= holdout["lo-80"]).all() and (holdout["hi-80"] <= holdout["hi-95"]).all()


def test_parquet_input_trains_and_predicts_like_csv(panel_run: tuple[Path, Path], tmp_path: Path) -> None:
    path, out = panel_run
    parquet = tmp_path / "panel.parquet"
    frame = pd.read_csv(path)
    frame["month"] = pd.to_datetime(frame["month"])  # typed dates, as Parquet files usually hold
    frame.to_parquet(parquet, index=False)
    from_csv = invoke("predict", "--run", out, "--out", tmp_path / "csv.csv")
    from_parquet = invoke("predict", "--run", out, "--data", parquet, "--out", tmp_path / "pq.csv")
    assert from_csv.exit_code == 0 and from_parquet.exit_code == 0, from_parquet.output
    assert (tmp_path / "csv.csv").read_text() == (tmp_path / "pq.csv").read_text()


def test_predict_streams_in_chunks_with_the_same_output(
    panel_run: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from forecast.workflows import predict

    _, out = panel_run
    whole = invoke("predict", "--run", out, "--out", tmp_path / "whole.csv")
    monkeypatch.setattr(predict, "PREDICT_CHUNK", 7)  # 30 series: five chunks, the last partial
    monkeypatch.setattr(predict, "PREVIEW_ROWS", 20)
    chunked = invoke("predict", "--run", out, "--out", tmp_path / "chunked.csv", "--json")
    assert whole.exit_code == 0 and chunked.exit_code == 0, chunked.output
    a, b = pd.read_csv(tmp_path / "whole.csv"), pd.read_csv(tmp_path / "chunked.csv")
    pd.testing.assert_frame_equal(a, b, rtol=1e-6)  # float32 kernels differ slightly by batch size
    summary = json.loads(chunked.stdout)
    assert summary["rows"] == 360 and summary["series"] == 30 and summary["steps"] == 12
    assert summary["truncated"] is True and len(summary["forecast"]) == 20
    assert summary["forecast"][0]["series"] == "s00"


def test_chunked_hourly_forecast_writes_one_date_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from forecast.workflows import predict

    t = np.arange(96)
    frames = []
    for uid, end in (("a", "2020-03-31 23:00"), ("b", "2020-03-31 10:00")):  # a's next hour is midnight
        dates = pd.date_range(end=end, periods=96, freq="h")
        y = 10 + np.sin(2 * np.pi * t / 24) + (uid == "b")
        frames.append(pd.DataFrame({"series": uid, "date": dates.strftime("%Y-%m-%d %H:%M"), "y": y}))
    path = tmp_path / "hourly.csv"
    pd.concat(frames).to_csv(path, index=False)
    out = tmp_path / "run"
    small = ["--lookback", 24, "--horizon", 2, "--epochs", 1, "--no-refit", "--hidden-size", 8, "--quiet"]
    trained = invoke("train", path, "--id-col", "series", "--out", out, "--runs-dir", tmp_path, *small)
    assert trained.exit_code == 0, trained.output
    monkeypatch.setattr(predict, "PREDICT_CHUNK", 1)  # one chunk per series
    result = invoke("predict", "--run", out, "--horizon", 1, "--out", tmp_path / "f.csv")
    assert result.exit_code == 0, result.output
    assert pd.read_csv(tmp_path / "f.csv")["date"].tolist() == ["2020-04-01 00:00:00", "2020-03-31 11:00:00"]


def test_non_finite_forecast_writes_nothing(
    panel_run: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from forecast.model import rollforward  # predict imports it when it runs: patch it at the source
    from forecast.workflows import predict

    _, out = panel_run
    original = rollforward.forecast_panel
    calls = []

    def broken(*args: object, **kwargs: object):
        values, bands = original(*args, **kwargs)
        calls.append(1)
        if len(calls) == 3:
            values[0, 0] = np.nan  # the third chunk goes wrong after two were written
        return values, bands

    monkeypatch.setattr(rollforward, "forecast_panel", broken)
    monkeypatch.setattr(predict, "PREDICT_CHUNK", 7)
    result = invoke("predict", "--run", out, "--out", tmp_path / "f.csv")
    assert result.exit_code == 4 and "non-finite" in result.stderr
    left = [p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")]
    assert left == []  # no file, no temporary left behind


def test_holdout_without_calibration_errors_has_empty_intervals(tmp_path: Path) -> None:
    """Series too short for a validation split leave the hold-out uncalibrated: its interval
    cells are empty and its coverage is null, never a zero-width interval around the forecast."""
    path = tmp_path / "short.csv"
    make_panel(6, 60, short_every=0).to_csv(path, index=False)
    out = tmp_path / "run"
    result = invoke(
        "train",
        path,
        "--id-col",
        "series",
        "--epochs",
        2,
        "--out",
        out,
        "--runs-dir",
        tmp_path / "runs",
        "--json",
        "--candidates",
        "model",
        *SMALL_NET,
    )  # fmt: skip  (the network's calibration; the safety net's intervals come from its own past errors)
    assert result.exit_code == 0, result.output
    holdout = pd.read_csv(out / "holdout.csv")
    assert holdout[["lo-80", "hi-80", "lo-95", "hi-95"]].isna().all().all()
    assert json.loads((out / "metrics.json").read_text())["holdout_coverage"] == {"80": None, "95": None}
    warned = json.loads(result.stdout)["warnings"]
    advice = "no 80/95% intervals on the hold-out: a 95% interval needs 19 out-of-sample errors at each step"
    assert any(w.startswith(advice) and "--val-size 0, 6 series" in w for w in warned), warned
    predicted = invoke("predict", "--run", out, "--level", 99, "--json")  # 6 errors cannot promise 99%
    assert predicted.exit_code == 0, predicted.output
    assert any(
        "empty interval cells for 6 of 6 series" in w for w in json.loads(predicted.stdout)["warnings"]
    )


def _wide_with_a_change_column(n: int = 144) -> pd.DataFrame:
    """Eight positive seasonal series and one month-on-month change (negative values)."""
    rng = np.random.default_rng(0)
    t = np.arange(n)
    cols = {}
    for k in range(8):
        seasonal = 1 + 0.15 * np.sin(2 * np.pi * (t + k) / 12)
        cols[f"s{k}"] = (
            100 * (k + 1) ** 1.5 * (1 + 0.002 * (k + 1) * t) * seasonal * np.exp(rng.normal(0, 0.03, n))
        )
    cols["change"] = np.r_[0.0, np.diff(cols["s3"])]
    dates = pd.date_range("2010-01-01", periods=n, freq="MS").strftime("%Y-%m-%d")
    return pd.DataFrame({"date": dates, **cols})


def test_a_series_with_negative_values_leaves_the_others_intervals_alone(tmp_path: Path) -> None:
    """Regression: its plain-scale errors, pooled with the log-space ones, made every other
    series' 95% band about 25x wider; now each scale group calibrates on its own errors."""
    frame = _wide_with_a_change_column()
    widths = {}
    for name, df in (("with", frame), ("without", frame.drop(columns="change"))):
        path = tmp_path / f"{name}.csv"
        df.to_csv(path, index=False)
        out = tmp_path / f"run-{name}"
        result = invoke(
            "train", path, "--wide", "--out", out, "--runs-dir", tmp_path / "runs", "--epochs", 4, *SMALL_NET
        )
        assert result.exit_code == 0, result.output
        h = pd.read_csv(out / "holdout.csv")
        h = h[h["series"] != "change"]
        widths[name] = float(((h["hi-95"] - h["lo-95"]) / h["actual"]).mean())
    assert widths["with"] < 1.5 * widths["without"], widths


def test_mixed_panel_scales_negative_series_to_the_log_series_step() -> None:
    from forecast.core.config import Deseason, Scaler
    from forecast.model.transforms import fit_transforms, log_step

    frame = _wide_with_a_change_column()
    series = [frame[c].to_numpy() for c in frame.columns[1:]]
    positions = [np.arange(len(y)) for y in series]
    transforms, warnings = fit_transforms(series, positions, Scaler.window, Deseason.off, 12, 24)
    z = transforms[-1].forward(series[-1], positions[-1])
    assert not transforms[-1].log and all(t.log for t in transforms[:-1])
    assert np.mean(np.abs(np.diff(z))) == pytest.approx(log_step(series), rel=1e-9)
    assert "matched to the log-scaled series' step size" in warnings[0]
    # alone, the series keeps its plain robust scale (median of |y|)
    (alone,), _ = fit_transforms(series[-1:], positions[-1:], Scaler.window, Deseason.off, 12, 24)
    assert alone.scale == pytest.approx(np.median(np.abs(series[-1])))
