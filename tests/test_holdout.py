"""The hold-out of ``forecast train`` never sees its own targets, and the Panel that carries the
series through fitting, calibration, the hold-out and backtests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import FAST, invoke, write_series

from forecast.data.panel import Panel
from forecast.workflows import train as train_module


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # train points ./runs/latest at its run


def test_the_models_that_score_the_hold_out_never_train_on_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Values encode their own index: the largest value fitted on tells where fitting stopped."""
    n, test = 80, 9
    path = write_series(tmp_path / "index.csv", np.arange(1.0, n + 1.0))
    seen: dict[str, float] = {}
    real = train_module.fit_members

    def spy(cfg, panel, stage, on_epoch, epochs=None, **kwargs):
        seen[stage] = max(float(np.max(y)) for y in panel.values)
        return real(cfg, panel, stage, on_epoch, epochs, **kwargs)

    monkeypatch.setattr(train_module, "fit_members", spy)
    out = tmp_path / "run"
    result = invoke("train", path, "--horizon", 6, "--test-size", test, "--out", out, "--no-plot", *FAST)
    assert result.exit_code == 0, result.output
    assert seen == {"train": n - test, "refit": n}
    holdout = pd.read_csv(out / "holdout.csv")
    assert holdout["actual"].tolist() == list(np.arange(n - test + 1.0, n + 1.0))


def _promo_frame(n: int, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    price = 10 + rng.normal(0, 1, n)
    promo = (rng.random(n) < 0.3).astype(float)
    sales = 100 + 10 * np.sin(2 * np.pi * t / 12) + 15 * promo - 2 * price + rng.normal(0, 1, n)
    dates = pd.date_range("2010-01-01", periods=n, freq="MS").strftime("%Y-%m-%d")
    return pd.DataFrame({"date": dates, "sales": sales, "price": price, "promo": promo})


def test_changing_the_hold_out_targets_changes_nothing_but_the_actuals(tmp_path: Path) -> None:
    """Two files that differ only in the hold-out's values (and its past-observed covariate) give
    the same hold-out forecasts and intervals, byte for byte: nothing of the hold-out leaked into
    fitting, early stopping, the transforms, the covariate scales or the calibration errors."""
    n, test = 96, 12
    clean = _promo_frame(n)
    poisoned = clean.copy()
    poisoned.loc[n - test :, "sales"] *= 50.0
    poisoned.loc[n - test :, "price"] += 1000.0
    holdouts = []
    for name, frame in (("clean", clean), ("poisoned", poisoned)):
        path = tmp_path / f"{name}.csv"
        frame.to_csv(path, index=False)
        out = tmp_path / name
        result = invoke(
            "train", path, "--value-col", "sales", "--covariate", "price", "--future-covariate", "promo",
            "--horizon", 6, "--test-size", test, "--val-size", 18, "--out", out, "--no-plot", *FAST,
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        holdouts.append(pd.read_csv(out / "holdout.csv"))
    a, b = holdouts
    assert not np.allclose(a["actual"], b["actual"])
    columns = ["date", "forecast", "lo-80", "hi-80", "lo-95", "hi-95", "naive", "seasonal_naive", "drift"]
    pd.testing.assert_frame_equal(a[columns], b[columns])


def test_panel_cut_and_take_keep_series_aligned() -> None:
    values = (np.arange(10.0), np.arange(5.0) + 100)
    positions = (np.arange(10), np.arange(3, 8))
    covs = (np.ones((10, 2)), np.zeros((5, 2)))
    panel = Panel(np.array([4, 7]), values, positions, covs)
    cut = panel.cut(3)
    assert cut.lengths.tolist() == [7, 2] and cut.firsts == [0, 3]
    assert [len(c) for c in cut.covariates or ()] == [10, 5]  # covariates stay whole
    assert [len(c) for c in cut.observed_covariates() or ()] == [7, 2]
    assert panel.cut(6).lengths.tolist() == [4, 0]  # never wraps around to the start
    second = cut.take(np.array([False, True]))
    assert second.index.tolist() == [7] and second.values[0].tolist() == [100.0, 101.0]
    assert panel.take([1, 0]).index.tolist() == [7, 4]


def test_a_series_shorter_than_the_hold_out_is_left_out_of_the_hold_out_phase(tmp_path: Path) -> None:
    """A trained series with no values before the hold-out used to wrap around (``y[:-k]``) or
    crash; it is now fitted in the refit only and forecast by the model."""
    rows = []
    for sid, n in (("a", 120), ("b", 32)):
        dates = pd.date_range("2000-01-01", periods=n, freq="MS").strftime("%Y-%m-%d")
        rows += [(sid, d, 100 + 10 * np.sin(i / 2) + i) for i, d in enumerate(dates)]
    path = tmp_path / "panel.csv"
    pd.DataFrame(rows, columns=["id", "date", "v"]).to_csv(path, index=False)
    out = tmp_path / "run"
    args = ("--id-col", "id", "--horizon", 6, "--lookback", 24, "--test-size", 40, "--no-plot", *FAST)
    result = invoke("train", path, "--out", out, *args)
    assert result.exit_code == 0, result.output
    assert set(pd.read_csv(out / "holdout.csv")["series"]) == {"a"}
    result = invoke("predict", "--run", out, "--horizon", 6)
    assert result.exit_code == 0, result.output
    forecast = pd.read_csv(out / "forecast.csv")
    assert set(forecast.loc[forecast["series"] == "b", "method"]) == {"model"}
