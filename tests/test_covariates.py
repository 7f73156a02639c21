"""Covariates: past-observed and known-ahead columns as inputs, and predict --future."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import SMALL_NET, invoke

from forecast.core.choices import Fill, ModelKind
from forecast.core.config import DataConfig, ModelConfig
from forecast.core.errors import DataError, RunError, UsageError
from forecast.data import dataset
from forecast.model import covariates
from forecast.model.covariates import Covariates, CovariateScale
from forecast.model.networks import build_model


def promo_frame(n: int = 200, seed: int = 1) -> pd.DataFrame:
    """Monthly sales driven by a random promotion flag (known ahead) and a drifting price."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    promo = (rng.random(n) < 0.25).astype(int)
    price = 10 + np.cumsum(rng.normal(0, 0.1, n))
    sales = 100 + 20 * np.sin(2 * np.pi * t / 12) + 40 * promo + rng.normal(0, 3, n)
    dates = pd.date_range("2000-01-01", periods=n, freq="MS").strftime("%Y-%m-%d")
    return pd.DataFrame({"date": dates, "sales": sales.round(2), "promo": promo, "price": price.round(3)})


@pytest.fixture(scope="module")
def promo_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("promo") / "promo.csv"
    promo_frame().to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def promo_run(promo_csv: Path) -> Path:
    """A run trained with promo known ahead, price observed, and calendar inputs."""
    out = promo_csv.parent / "run"
    result = invoke(
        "train", promo_csv, "--value-col", "sales", "--future-covariate", "promo", "--covariate", "price",
        "--calendar", "--epochs", "40", "--out", out, "--runs-dir", promo_csv.parent / "runs", *SMALL_NET,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


def future_csv(path: Path, promo: list[int], start: str = "2016-09-01") -> Path:
    dates = pd.date_range(start, periods=len(promo), freq="MS").strftime("%Y-%m-%d")
    pd.DataFrame({"date": dates, "promo": promo}).to_csv(path, index=False)
    return path


# --- features: oracle against an obvious loop -------------------------------------------------


def test_features_equal_a_loop() -> None:
    rng = np.random.default_rng(0)
    raw = rng.normal(5, 2, (14, 3))  # 1 past, 2 known ahead; rows 10.. are known-ahead rows
    spec = Covariates(past=1, future=2, lead=3)
    scale = CovariateScale((1.0, 2.0, -1.0), (2.0, 0.5, 4.0))
    got = covariates.features(raw, 10, scale, spec, extra=6)
    z = (raw - np.array(scale.shift)) / np.array(scale.scale)
    assert got.shape == (16, 1 + 2 * 2) and got.dtype == np.float32
    for j in range(16):
        past = z[min(j, 9), 0]  # held at the last observed value
        now = z[min(j, 13), 1:]  # known-ahead values as far as given, then the last one
        later = z[min(j + 3, 13), 1:]
        np.testing.assert_allclose(got[j], np.r_[past, now, later], rtol=1e-6)


def test_hold_past_keeps_known_ahead_columns() -> None:
    window = np.arange(2 * 6 * 3, dtype=np.float32).reshape(2, 6, 3)
    held = covariates.hold_past(window, 4, past=1)
    np.testing.assert_array_equal(held[:, 4:, 0], np.repeat(window[:, 3:4, 0], 2, axis=1))
    np.testing.assert_array_equal(held[:, :, 1:], window[:, :, 1:])
    np.testing.assert_array_equal(held[:, :4], window[:, :4])


@pytest.mark.parametrize(("horizon", "lead", "extra"), [(12, 12, 0), (18, 12, 12), (5, 1, 4), (1, 1, 0)])
def test_roll_extra(horizon: int, lead: int, extra: int) -> None:
    assert covariates.roll_extra(horizon, lead) == extra


def test_scales_round_trip_and_refuse_bad_numbers() -> None:
    x = np.c_[np.arange(10.0), np.full(10, 3.0)]
    (scale,) = covariates.fit_scales([x])
    assert scale.scale[1] == 1.0  # a constant column is left unscaled, not divided by zero
    np.testing.assert_allclose(scale.apply(x)[:, 0].mean(), 0.0, atol=1e-12)
    raw = json.loads(json.dumps(covariates.scales_to_dict([scale])))
    assert covariates.scales_from_dict(raw, 1, 2) == [scale]
    for bad in ({"shift": [[0, 0]], "scale": [[1, -1]]}, {"shift": [[0]], "scale": [[1]]}, {}, None):
        with pytest.raises(RunError, match="covariate_scale"):
            covariates.scales_from_dict(bad, 1, 2)


@pytest.mark.parametrize("kind", list(ModelKind))
def test_head_reads_known_ahead_inputs(kind: ModelKind) -> None:
    """The last output_size steps' known-ahead columns reach the output through the head."""
    import torch

    torch.manual_seed(0)
    model = build_model(
        ModelConfig(kind=kind, layers=1, hidden_size=4, input_size=3, output_size=2, ahead_inputs=1)
    )
    x = torch.zeros(1, 5, 3)
    bumped = x.clone()
    bumped[0, -2:, -1] = 1.0  # the known-ahead column at the two dates being forecast
    effect = []
    with torch.no_grad():
        for weight in (0.0, 1.0):
            model.ahead.weight.fill_(weight)
            effect.append(model(bumped) - model(x))  # (1, 2)
    torch.testing.assert_close(effect[1] - effect[0], torch.full((1, 2), 2.0))


# --- reading ------------------------------------------------------------------------------------


def test_covariate_columns_are_read_and_not_taken_for_values(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    promo_frame(40).to_csv(path, index=False)
    ds = dataset.read(DataConfig(path=str(path), covariates=("price",), future_covariates=("promo",)))
    assert ds.value_col == "sales" and ds.covariate_cols == ("price", "promo")
    frame = promo_frame(40)
    np.testing.assert_allclose(ds.covariates, frame[["price", "promo"]].to_numpy())


def test_missing_covariate_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    promo_frame(40).to_csv(path, index=False)
    with pytest.raises(DataError, match=r"no column 'promos' \(--future-covariate\); columns are"):
        dataset.read(DataConfig(path=str(path), value_col="sales", future_covariates=("promos",)))


def test_empty_covariate_cell_names_line_and_date_unless_filled(tmp_path: Path) -> None:
    frame = promo_frame(40).astype({"price": object})
    frame.loc[5, "price"] = ""
    path = tmp_path / "d.csv"
    frame.to_csv(path, index=False)
    cfg = DataConfig(path=str(path), value_col="sales", covariates=("price",))
    with pytest.raises(
        DataError, match=r"empty or NaN value in column 'price' at line 7 \(date 2000-06-01\)"
    ):
        dataset.read(cfg)
    frame.loc[5, "price"] = "abc"
    frame.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"value 'abc' in column 'price' at line 7 is not a number"):
        dataset.read(cfg)
    frame.loc[5, "price"] = ""
    frame.to_csv(path, index=False)
    ds = dataset.read(
        DataConfig(path=str(path), value_col="sales", covariates=("price",), fill=Fill.interpolate)
    )
    expect = (float(promo_frame(40)["price"][4]) + float(promo_frame(40)["price"][6])) / 2
    assert ds.covariates[5, 0] == pytest.approx(expect)


def test_gaps_are_filled_in_covariates_too(tmp_path: Path) -> None:
    frame = promo_frame(40).drop(index=[10, 11])
    path = tmp_path / "d.csv"
    frame.to_csv(path, index=False)
    ds = dataset.read(DataConfig(path=str(path), value_col="sales", covariates=("price",), fill=Fill.ffill))
    assert len(ds.frame) == 40 and ds.covariates[10, 0] == ds.covariates[9, 0] == ds.covariates[11, 0]


def test_wide_series_share_the_covariate(tmp_path: Path) -> None:
    frame = promo_frame(40).drop(columns="price")
    frame["other"] = frame["sales"] * 2
    path = tmp_path / "wide.csv"
    frame.to_csv(path, index=False)
    ds = dataset.read(DataConfig(path=str(path), wide=True, future_covariates=("promo",)))
    assert list(ds.ids) == ["other", "sales"]
    for k in range(2):
        np.testing.assert_array_equal(ds.covariates[ds.rows(k), 0], frame["promo"].to_numpy())


def test_covariate_cannot_double_as_another_column() -> None:
    with pytest.raises(UsageError, match="named twice"):
        DataConfig(path="x.csv", covariates=("a",), future_covariates=("a",))
    with pytest.raises(UsageError, match="cannot also be the date, value or id column"):
        DataConfig(path="x.csv", value_col="a", covariates=("a",))


# --- train, predict, backtest -------------------------------------------------------------------


def _holdout_mase(promo_csv: Path, tmp: Path, *extra: str) -> float:
    out = tmp / ("with" if extra else "without")
    result = invoke(
        "train", promo_csv, "--value-col", "sales", "--epochs", "60", "--out", out,
        "--runs-dir", tmp / "runs", *extra, *SMALL_NET,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads((out / "metrics.json").read_text())["model"]["mase"]


def test_known_ahead_covariate_clearly_improves_the_forecast(promo_csv: Path, tmp_path: Path) -> None:
    """Sales jump by 40 in promotion months: a model that knows the plan forecasts them."""
    without = _holdout_mase(promo_csv, tmp_path)
    with_promo = _holdout_mase(promo_csv, tmp_path, "--future-covariate", "promo")
    assert with_promo < 0.7 * without, (with_promo, without)
    assert with_promo < 0.8  # and beats seasonal naive (MASE 1) clearly


def test_run_records_covariates(promo_run: Path) -> None:
    meta = json.loads((promo_run / "config.json").read_text())
    assert meta["settings"]["data"]["covariates"] == ["price"]
    assert meta["settings"]["data"]["future_covariates"] == ["promo"]
    assert meta["settings"]["model"]["input_size"] == 1 + 2 + 1 + 2  # value, calendar, price, promo x 2
    series = json.loads((promo_run / "series.json").read_text())
    assert len(series["covariate_scale"]["shift"][0]) == 2


def test_predict_needs_future_values(promo_run: Path, tmp_path: Path) -> None:
    result = invoke("predict", "--run", promo_run, "--out", tmp_path / "f.csv")
    assert result.exit_code == 2
    assert "known-ahead covariates ['promo']" in result.output and "--future" in result.output
    assert not (tmp_path / "f.csv").exists()


def test_predict_names_the_missing_dates(promo_run: Path, tmp_path: Path) -> None:
    short = future_csv(tmp_path / "short.csv", [0, 1, 0, 0, 1, 0, 0, 0, 1, 1])
    result = invoke("predict", "--run", promo_run, "--future", short, "--out", tmp_path / "f.csv")
    assert result.exit_code == 3, result.output
    assert "lacks promo for 2 of the 12 forecast dates: 2017-07-01, 2017-08-01" in result.output
    assert not (tmp_path / "f.csv").exists()


def test_predict_refuses_bad_future_cells(promo_run: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    future_csv(path, [0] * 12)
    text = path.read_text().splitlines()
    text[3] = text[3].split(",")[0] + ","  # empty value on line 4
    path.write_text("\n".join(text) + "\n")
    result = invoke("predict", "--run", promo_run, "--future", path, "--out", tmp_path / "f.csv")
    assert result.exit_code == 3
    assert "empty or non-finite value in column 'promo' at line 4 (date 2016-11-01)" in result.output
    dup = tmp_path / "dup.csv"
    dup.write_text(future_csv(tmp_path / "x.csv", [0] * 12).read_text() + "2016-09-01,1\n")
    result = invoke("predict", "--run", promo_run, "--future", dup, "--out", tmp_path / "f.csv")
    assert result.exit_code == 3 and "duplicate date 2016-09-01 (line 14)" in result.output


def test_predict_follows_the_promotion_plan(promo_run: Path, tmp_path: Path) -> None:
    """Same history, two plans: a promotion month is forecast higher than the same month without."""
    plans = {"none": [0] * 12, "march": [0] * 6 + [1] + [0] * 5}  # 2017-03-01 is step 7
    got = {}
    for name, plan in plans.items():
        out = tmp_path / f"{name}.csv"
        # extra rows before and after the forecast dates are ignored
        result = invoke(
            "predict", "--run", promo_run, "--future", future_csv(tmp_path / f"p-{name}.csv", [0, 0] + plan + [1], "2016-07-01"),
            "--out", out, "--quiet",
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        got[name] = pd.read_csv(out)
    assert list(got["none"]["date"]) == list(
        pd.date_range("2016-09-01", periods=12, freq="MS").strftime("%Y-%m-%d")
    )
    lift = got["march"]["forecast"] - got["none"]["forecast"]
    assert lift[6] > 15  # the true effect is +40
    assert lift[6] == lift.abs().max()


def test_past_covariates_roll_forward_many_to_one(promo_csv: Path, tmp_path: Path) -> None:
    """A many-to-one run with an observed covariate rolls 12 steps, holding the covariate."""
    out = tmp_path / "m21"
    result = invoke(
        "train", promo_csv, "--value-col", "sales", "--covariate", "price", "--strategy", "many-to-one",
        "--epochs", "3", "--out", out, "--runs-dir", tmp_path / "runs", *SMALL_NET,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    result = invoke("predict", "--run", out, "--horizon", 12, "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["forecast"]
    assert len(rows) == 12 and all(np.isfinite(r["forecast"]) for r in rows)


def test_predict_data_without_the_covariate_column(promo_run: Path, tmp_path: Path) -> None:
    path = tmp_path / "nocov.csv"
    promo_frame().drop(columns="price").to_csv(path, index=False)
    result = invoke(
        "predict", "--run", promo_run, "--data", path, "--future", future_csv(tmp_path / "f.csv", [0] * 12)
    )
    assert result.exit_code == 3 and "no column 'price' (--covariate)" in result.output


def test_panel_future_file_needs_each_series(tmp_path: Path) -> None:
    frames = []
    for k, seed in enumerate((1, 2)):
        f = promo_frame(80, seed)
        f.insert(0, "store", f"s{k}")
        frames.append(f)
    path = tmp_path / "panel.csv"
    pd.concat(frames).to_csv(path, index=False)
    out = tmp_path / "run"
    result = invoke(
        "train",
        path,
        "--id-col",
        "store",
        "--value-col",
        "sales",
        "--future-covariate",
        "promo",
        "--epochs",
        "2",
        "--out",
        out,
        "--runs-dir",
        tmp_path / "runs",
        "--candidates",
        "model",
        *SMALL_NET,
    )  # fmt: skip  (a series the safety net forecasts needs no --future)
    assert result.exit_code == 0, result.output
    dates = pd.date_range("2006-09-01", periods=12, freq="MS").strftime("%Y-%m-%d")
    future = pd.DataFrame({"store": "s0", "date": dates, "promo": 1})
    future.to_csv(tmp_path / "future.csv", index=False)
    result = invoke("predict", "--run", out, "--future", tmp_path / "future.csv")
    assert (
        result.exit_code == 3 and "series 's1' lacks promo for 12 of the 12 forecast dates" in result.output
    )
    pd.concat([future, future.assign(store="s1", promo=0)]).to_csv(tmp_path / "future.csv", index=False)
    result = invoke("predict", "--run", out, "--future", tmp_path / "future.csv", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rows"] == 24


def test_backtest_with_covariates(promo_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "bt"
    result = invoke(
        "backtest", promo_csv, "--value-col", "sales", "--future-covariate", "promo", "--covariate", "price",
        "--folds", 2, "--epochs", "3", "--out", out, *SMALL_NET,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(out / "backtest.csv")) == 24


def test_covariates_from_a_config_file(promo_csv: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "train.toml"
    cfg.write_text(
        '[train]\nvalue-col = "sales"\nfuture-covariate = ["promo"]\ncovariate = "price"\nepochs = 2\n'
    )
    out = tmp_path / "run"
    result = invoke(
        "train", promo_csv, "--config", cfg, "--out", out, "--runs-dir", tmp_path / "runs", *SMALL_NET
    )
    assert result.exit_code == 0, result.output
    settings = json.loads((out / "config.json").read_text())["settings"]["data"]
    assert settings["future_covariates"] == ["promo"] and settings["covariates"] == ["price"]


def test_tampered_covariate_scales_are_refused(promo_run: Path, tmp_path: Path) -> None:
    import shutil

    from forecast.runs import files

    copy = tmp_path / "copy"
    shutil.copytree(promo_run, copy)
    series = json.loads((copy / "series.json").read_text())
    del series["covariate_scale"]
    files.write_json(copy / "series.json", series)
    meta = json.loads((copy / "config.json").read_text())
    meta["series_sha256"] = files.sha256_file(copy / "series.json")
    files.write_json(copy / "config.json", meta)
    result = invoke("predict", "--run", copy, "--future", future_csv(tmp_path / "f.csv", [0] * 12))
    assert result.exit_code == 4 and "covariate_scale" in result.output


def test_info_lists_covariates(promo_run: Path) -> None:
    result = invoke("info", promo_run)
    assert result.exit_code == 0, result.output
    assert "covariates observed ['price'], known ahead ['promo']" in result.output


def test_validate_checks_covariate_columns(promo_csv: Path) -> None:
    ok = invoke("validate", promo_csv, "--value-col", "sales", "--future-covariate", "promo", "--quiet")
    assert ok.exit_code == 0, ok.output
    bad = invoke("validate", promo_csv, "--value-col", "sales", "--covariate", "prices")
    assert bad.exit_code == 3 and "no column 'prices' (--covariate)" in bad.output


def test_future_file_for_a_run_without_known_ahead_covariates_is_ignored_with_a_warning(
    promo_csv: Path, tmp_path: Path
) -> None:
    out = tmp_path / "plain"
    result = invoke(
        "train", promo_csv, "--value-col", "sales", "--epochs", "2", "--out", out, "--runs-dir", tmp_path / "runs",
        *SMALL_NET,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    result = invoke("predict", "--run", out, "--future", future_csv(tmp_path / "f.csv", [1] * 12), "--json")
    assert result.exit_code == 0, result.output
    assert any("ignored" in w for w in json.loads(result.stdout)["warnings"])


def test_indicator_columns_are_not_standardised() -> None:
    rare = np.c_[np.r_[np.zeros(59), 1.0], np.arange(60.0)]
    common = np.c_[np.tile([0.0, 1.0], 30), np.arange(60.0) * 2]
    scales = covariates.fit_scales([rare, common])
    for s in scales:  # the 0/1 column keeps its values, the other is standardised
        assert (s.shift[0], s.scale[0]) == (0.0, 1.0) and s.scale[1] != 1.0
    (mixed,) = covariates.fit_scales([np.c_[np.r_[np.zeros(59), 2.0]]])
    assert mixed.scale[0] != 1.0  # 0/2 is not an indicator


def test_shorter_horizon_still_needs_the_models_whole_output(promo_run: Path, tmp_path: Path) -> None:
    """The network reads known-ahead values for all 12 dates of its output, even for --horizon 3;
    with them, the first 3 steps equal those of the 12-step forecast."""
    three = future_csv(tmp_path / "three.csv", [0, 1, 0])
    result = invoke(
        "predict", "--run", promo_run, "--future", three, "--horizon", 3, "--out", tmp_path / "a.csv"
    )
    assert result.exit_code == 3
    assert "lacks promo for 9 of the 12 dates the model reads (3 to forecast" in result.output
    plan = future_csv(tmp_path / "plan.csv", [0, 1, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0])
    for h in (3, 12):
        result = invoke(
            "predict", "--run", promo_run, "--future", plan, "--horizon", h, "--out", tmp_path / f"{h}.csv"
        )
        assert result.exit_code == 0, result.output
    short, full = pd.read_csv(tmp_path / "3.csv"), pd.read_csv(tmp_path / "12.csv")
    pd.testing.assert_frame_equal(short, full.head(3), rtol=1e-6)


def test_lookback_shorter_than_horizon_is_refused_for_known_ahead(promo_csv: Path, tmp_path: Path) -> None:
    args = (promo_csv, "--value-col", "sales", "--future-covariate", "promo", "--lookback", 4, "--horizon", 7)
    result = invoke("train", *args, "--out", tmp_path / "r", *SMALL_NET)
    assert result.exit_code == 2
    assert "--future-covariate needs --lookback (4) at least --horizon (7)" in result.output
    result = invoke("validate", *args)
    assert result.exit_code != 0 and "--lookback (4)" in result.output


def test_future_file_dates_read_like_the_data_across_a_clock_change(tmp_path: Path) -> None:
    """Hourly Berlin data across the autumn change is read in UTC; a future file written with
    the same offsets must be read in UTC too, so its first row is the first forecast hour."""
    stamps = pd.date_range("2023-10-25", "2023-11-02 23:00", freq="h", tz="Europe/Berlin")
    rng = np.random.default_rng(0)
    promo = (rng.random(len(stamps)) < 0.2).astype(int)
    sales = (
        50 + 10 * np.sin(2 * np.pi * np.arange(len(stamps)) / 24) + 30 * promo + rng.normal(0, 1, len(stamps))
    )
    iso = [t.isoformat() for t in stamps]
    pd.DataFrame({"time": iso, "sales": sales.round(3), "promo": promo}).to_csv(
        tmp_path / "tz.csv", index=False
    )
    out = tmp_path / "run"
    result = invoke(
        "train", tmp_path / "tz.csv", "--value-col", "sales", "--future-covariate", "promo", "--horizon", 24,
        "--epochs", 2, "--out", out, "--runs-dir", tmp_path / "runs", *SMALL_NET,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    ahead = pd.date_range("2023-11-03", periods=24, freq="h", tz="Europe/Berlin")
    future = pd.DataFrame({"time": [t.isoformat() for t in ahead], "promo": 0})
    future.to_csv(tmp_path / "future.csv", index=False)
    result = invoke("predict", "--run", out, "--future", tmp_path / "future.csv", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["forecast"]
    assert rows[0]["date"] == "2023-11-02 23:00:00" and len(rows) == 24  # UTC, as the data


def _hourly_berlin(tmp_path: Path, name: str = "tz.csv") -> tuple[Path, pd.DataFrame]:
    stamps = pd.date_range("2023-10-25", "2023-11-02 23:00", freq="h", tz="Europe/Berlin")
    rng = np.random.default_rng(0)
    promo = (rng.random(len(stamps)) < 0.2).astype(int)
    sales = 50 + 10 * np.sin(2 * np.pi * np.arange(len(stamps)) / 24) + 30 * promo
    frame = pd.DataFrame({"time": [t.isoformat() for t in stamps], "sales": sales.round(3), "promo": promo})
    frame.to_csv(tmp_path / name, index=False)
    return tmp_path / name, frame


def test_future_file_must_write_dates_like_the_data(promo_run: Path, tmp_path: Path) -> None:
    """Naive data and zone-aware future dates (or other offsets) would shift the plan silently."""
    aware = pd.DataFrame(
        {
            "date": [f"{d}T00:00:00+01:00" for d in pd.date_range("2016-09-01", periods=12, freq="MS").date],
            "promo": 0,
        }
    )
    aware.to_csv(tmp_path / "aware.csv", index=False)
    result = invoke("predict", "--run", promo_run, "--future", tmp_path / "aware.csv")
    assert result.exit_code == 3
    assert "dates carry time-zone offsets but those of" in result.output and "do not" in result.output


def test_other_offsets_in_the_future_file_are_refused(tmp_path: Path) -> None:
    stamps = pd.date_range("2024-01-01", periods=120, freq="h")
    rng = np.random.default_rng(1)
    promo = (rng.random(120) < 0.2).astype(int)
    data_frame = pd.DataFrame(
        {"time": [f"{t.isoformat()}+01:00" for t in stamps], "sales": 50 + 30 * promo, "promo": promo}
    )
    data_frame.to_csv(tmp_path / "fixed.csv", index=False)
    out = tmp_path / "run"
    result = invoke(
        "train", tmp_path / "fixed.csv", "--value-col", "sales", "--future-covariate", "promo", "--horizon", 6,
        "--lookback", 12, "--epochs", 2, "--out", out, "--runs-dir", tmp_path / "runs", "--candidates", "model",
        *SMALL_NET,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    ahead = pd.date_range("2024-01-05 23:00", periods=6, freq="h")  # the same instants, written in UTC
    pd.DataFrame({"time": [f"{t.isoformat()}Z" for t in ahead], "promo": 0}).to_csv(
        tmp_path / "z.csv", index=False
    )
    result = invoke("predict", "--run", out, "--future", tmp_path / "z.csv")
    assert (
        result.exit_code == 3
        and "UTC offset(s) +00:00, those of" in result.output
        and "+01:00" in result.output
    )
    local = pd.date_range("2024-01-06", periods=6, freq="h")
    pd.DataFrame({"time": [f"{t.isoformat()}+01:00" for t in local], "promo": 0}).to_csv(
        tmp_path / "l.csv", index=False
    )
    result = invoke("predict", "--run", out, "--future", tmp_path / "l.csv")
    assert result.exit_code == 0, result.output


def test_newer_data_is_read_in_the_training_datas_time_mode(tmp_path: Path) -> None:
    """Training data across the autumn change are read in UTC; a later file with one offset
    only must be read in UTC too, or every date would move by an hour."""
    path, frame = _hourly_berlin(tmp_path)
    out = tmp_path / "run"
    result = invoke(
        "train", path, "--value-col", "sales", "--horizon", 24, "--epochs", 2, "--out", out,
        "--runs-dir", tmp_path / "runs", *SMALL_NET,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads((out / "config.json").read_text())["data"]["zone"] == "utc"
    frame.iloc[-96:].to_csv(tmp_path / "recent.csv", index=False)  # winter time only: +01:00
    dates = []
    for extra in ([], ["--data", tmp_path / "recent.csv"]):
        result = invoke("predict", "--run", out, "--json", *extra)
        assert result.exit_code == 0, result.output
        dates.append([row["date"] for row in json.loads(result.stdout)["forecast"]])
    assert dates[0] == dates[1] and dates[0][0] == "2023-11-02 23:00:00"


def test_holdout_not_a_whole_number_of_outputs_warns(promo_csv: Path, tmp_path: Path) -> None:
    result = invoke(
        "train", promo_csv, "--value-col", "sales", "--future-covariate", "promo", "--horizon", 7,
        "--lookback", 14, "--test-size", 10, "--epochs", 2, "--out", tmp_path / "r", "--runs-dir",
        tmp_path / "runs", "--json", *SMALL_NET,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    warned = json.loads(result.stdout)["warnings"]
    assert any(
        "not a whole number of the model's 7-step outputs" in w and "for 4 date(s)" in w for w in warned
    )


def test_fallback_series_need_no_future_file(tmp_path: Path) -> None:
    long = promo_frame(80, 1).assign(store="long")
    short = promo_frame(20, 2).assign(store="short")
    pd.concat([long, short]).to_csv(tmp_path / "p.csv", index=False)
    out = tmp_path / "run"
    result = invoke(
        "train", tmp_path / "p.csv", "--id-col", "store", "--value-col", "sales", "--future-covariate", "promo",
        "--epochs", 2, "--out", out, "--runs-dir", tmp_path / "runs", "--candidates", "model", *SMALL_NET,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    result = invoke("predict", "--run", out, "--series", "short")  # seasonal naive
    assert result.exit_code == 0, result.output
    assert invoke("predict", "--run", out, "--series", "long").exit_code == 2  # the model needs --future


def test_future_values_beyond_training_warn(promo_run: Path, tmp_path: Path) -> None:
    """promo was 0 or 1 in training: a plan with 2 is forecast, with a warning that it extrapolates."""
    plan = future_csv(tmp_path / "double.csv", [0, 2] + [0] * 10)
    result = invoke("predict", "--run", promo_run, "--future", plan, "--json")
    assert result.exit_code == 0, result.output
    warned = json.loads(result.stdout)["warnings"]
    assert any("promo in" in w and "outside its training range [0, 1]" in w and "e.g. 2" in w for w in warned)
    inside = invoke(
        "predict", "--run", promo_run, "--future", future_csv(tmp_path / "ok.csv", [0, 1] * 6), "--json"
    )
    assert inside.exit_code == 0, inside.output
    assert not json.loads(inside.stdout)["warnings"]
