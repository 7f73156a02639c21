"""Training schedules: ``plateau`` (early stopping, refit from scratch) and ``onecycle`` (a fixed
budget with a one-cycle learning rate, then a warm refit)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import invoke

from forecast.core.choices import Device, Schedule
from forecast.core.config import ModelConfig, TrainConfig
from forecast.model import loop, networks
from forecast.model.windows import make_panel

NET = ["--hidden-size", "8", "--layers", "1", "--no-plot", "--quiet"]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # train points ./runs/latest at its run


def test_onecycle_is_the_default(seasonal_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = invoke("train", seasonal_csv, "--out", out, *NET)
    assert result.exit_code == 0, result.output
    history = pd.read_csv(out / "history.csv")
    assert (history["phase"] == "train").sum() == 10 and (history["phase"] == "refit").sum() == 3
    settings = pd.read_json(out / "config.json", typ="series")["settings"]
    assert settings["train"]["schedule"] == "onecycle" and settings["train"]["epochs"] == 10


def test_onecycle_runs_its_whole_budget_then_refits_warm(
    seasonal_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = []
    real = networks.build_model

    def counting(cfg):
        built.append(cfg)
        return real(cfg)

    monkeypatch.setattr(networks, "build_model", counting)
    out = tmp_path / "run"
    result = invoke(
        "train", seasonal_csv, "--schedule", "onecycle", "--epochs", 10, "--patience", 1, "--out", out, *NET
    )
    assert result.exit_code == 0, result.output
    history = pd.read_csv(out / "history.csv")
    assert (history["phase"] == "train").sum() == 10  # patience 1 stops nothing: the budget is fixed
    assert (history["phase"] == "refit").sum() == 3  # 30% of the budget
    assert len(built) == 1  # the refit continues from the trained model
    settings = pd.read_json(out / "config.json", typ="series")["settings"]
    assert settings["train"]["schedule"] == "onecycle"


def test_plateau_refits_from_scratch(
    seasonal_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = []
    real = networks.build_model
    monkeypatch.setattr(networks, "build_model", lambda cfg: built.append(cfg) or real(cfg))
    result = invoke(
        "train", seasonal_csv, "--schedule", "plateau", "--epochs", 4, "--out", tmp_path / "run", *NET
    )
    assert result.exit_code == 0, result.output
    assert len(built) == 2


def test_onecycle_learning_rate_rises_then_anneals(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rate peaks at --lr about 30% of the way through and ends far below it."""
    from forecast.model import optim

    rates: list[float] = []
    real_step = optim.Adam.step

    def spy(self, *args, **kwargs):
        rates.append(self.lr)
        return real_step(self, *args, **kwargs)

    monkeypatch.setattr(optim.Adam, "step", spy)
    z = [np.sin(np.arange(200) / 3.0)]
    ws = make_panel(z, 12, 1, 1, [np.arange(200)])
    idx = np.arange(len(ws))
    cfg = TrainConfig(
        epochs=10, batch_size=32, lr=1e-2, schedule=Schedule.onecycle, device=Device.cpu, patience=1
    )
    model = networks.build_model(ModelConfig(hidden_size=4, layers=1, output_size=1))
    result = loop.fit(model, ws, idx[:150], idx[150:], cfg, loop.seed_everything(0))
    assert result.epochs_run == 10 and result.best_epoch == 10
    peak = int(np.argmax(rates))
    assert max(rates) == pytest.approx(1e-2, rel=0.05)
    assert 0.2 < peak / len(rates) < 0.4
    assert rates[-1] < 1e-4 and rates[0] < 1e-3


def test_no_early_stopping_warning_only_where_early_stopping_was_meant(
    seasonal_csv: Path, tmp_path: Path
) -> None:
    args = ("--val-size", 0, "--epochs", 2, *NET[:-1])
    plateau = invoke("train", seasonal_csv, "--schedule", "plateau", "--out", tmp_path / "a", *args)
    onecycle = invoke("train", seasonal_csv, "--out", tmp_path / "b", *args)
    assert plateau.exit_code == 0 and onecycle.exit_code == 0, plateau.output + onecycle.output
    assert "no early stopping" in plateau.stderr and "no early stopping" not in onecycle.stderr


def test_the_one_cycle_budget_caps_training_windows_on_big_panels(tmp_path: Path) -> None:
    """10 epochs for small data, fewer where 10 epochs would pass MAX_WINDOWS windows; an
    explicit --epochs is kept."""
    import dataclasses

    from forecast.core.config import DataConfig, RunConfig, WindowConfig
    from forecast.workflows import fitting

    w = WindowConfig(lookback=24, horizon=18, season=12, test_size=18, val_size=18)
    cfg = RunConfig(data=DataConfig(path="x.csv"), window=w, train=TrainConfig(schedule=Schedule.onecycle))
    big = fitting._default_epochs(cfg, np.full(1000, 120), w)  # 1000 x 43 = 43,000 windows an epoch
    assert big * 43_000 <= fitting.MAX_WINDOWS < (big + 1) * 43_000 and big < 10
    assert fitting._default_epochs(cfg, np.array([120]), w) == 10
    plateau = dataclasses.replace(cfg, train=TrainConfig(schedule=Schedule.plateau))
    assert fitting._default_epochs(plateau, np.full(1000, 120), w) == 150
    rows = [
        (f"s{k}", d, 100.0 + k + np.sin(i))
        for k in range(400)
        for i, d in enumerate(pd.date_range("2000-01-01", periods=120, freq="MS").strftime("%Y-%m-%d"))
    ]
    path = tmp_path / "panel.csv"
    pd.DataFrame(rows, columns=["id", "date", "v"]).to_csv(path, index=False)
    from forecast.data import dataset

    data = DataConfig(path=str(path), id_col="id")
    ds = dataset.read(data)
    explicit = RunConfig(data=data, window=WindowConfig(horizon=18), train=TrainConfig(epochs=12))
    assert fitting.resolve(explicit, ds).train.epochs == 12


def test_a_run_saved_before_schedules_reads_as_plateau() -> None:
    from forecast.core.config import DataConfig, RunConfig

    raw = RunConfig(data=DataConfig(path="x.csv"), train=TrainConfig(epochs=150)).to_dict()
    del raw["train"]["schedule"]
    assert RunConfig.from_dict(raw).train.schedule is Schedule.plateau
    raw["train"]["schedule"] = "onecycle"
    assert RunConfig.from_dict(raw).train.schedule is Schedule.onecycle


def test_the_default_schedule_is_onecycle_for_a_panel_and_for_one_series(tmp_path: Path) -> None:
    """Measured on the development suite (docs/benchmarks.md): one-cycle wins on single series
    and, with about 64 batches an epoch, equals early stopping on the M3 panels at a fraction
    of the cost."""
    from forecast.core.config import DataConfig, RunConfig
    from forecast.data import dataset
    from forecast.workflows.fitting import resolve

    dates = pd.date_range("2000-01-01", periods=60, freq="MS").strftime("%Y-%m-%d")
    rows = [(s, d, 10.0 + k + i) for k, s in enumerate("ab") for i, d in enumerate(dates)]
    path = tmp_path / "panel.csv"
    pd.DataFrame(rows, columns=["id", "date", "v"]).to_csv(path, index=False)
    panel = DataConfig(path=str(path), id_col="id")
    assert resolve(RunConfig(data=panel), dataset.read(panel)).train.schedule is Schedule.onecycle
    one = tmp_path / "one.csv"
    pd.DataFrame({"date": dates, "v": np.arange(60.0)}).to_csv(one, index=False)
    single = DataConfig(path=str(one))
    resolved = resolve(RunConfig(data=single), dataset.read(single)).train
    assert resolved.schedule is Schedule.onecycle and resolved.epochs == 10


@pytest.mark.parametrize(("schedule", "windows", "batch"), [
    (Schedule.onecycle, 2048, 32), (Schedule.onecycle, 9000, 128), (Schedule.onecycle, 50_000, 1024),
    (Schedule.plateau, 2048, 128), (Schedule.plateau, 9000, 512), (Schedule.onecycle, 200, 32),
])  # fmt: skip
def test_the_automatic_batch_gives_one_cycle_more_steps(
    schedule: Schedule, windows: int, batch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """About 64 batches an epoch under one-cycle, 16 under plateau, a power of two in 32..1024."""
    seen: list[int] = []
    real = loop._place
    monkeypatch.setattr(
        loop, "_place", lambda model, cfg, step, ctx: seen.append(step) or real(model, cfg, step, ctx)
    )
    z = [np.sin(np.arange(windows + 12) / 3.0)]
    ws = make_panel(z, 12, 1, 1, [np.arange(windows + 12)])
    cfg = TrainConfig(epochs=1, schedule=schedule, device=Device.cpu, windows_per_epoch=windows)
    model = networks.build_model(ModelConfig(hidden_size=2, layers=1, output_size=1))
    loop.fit(model, ws, np.arange(windows), np.arange(0), cfg, loop.seed_everything(0))
    assert seen == [batch]


def test_the_warm_refit_keeps_the_batch_it_was_trained_with(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The refit sees more windows an epoch (the hold-out and validation are back), so its own
    automatic batch would be twice as large; a continuation keeps the one it trained with."""
    from conftest import make_panel as panel_frame

    steps: list[int] = []
    real = loop._place
    monkeypatch.setattr(
        loop, "_place", lambda model, cfg, step, ctx: steps.append(step) or real(model, cfg, step, ctx)
    )
    path = tmp_path / "panel.csv"
    panel_frame(n_series=60, length=96, short_every=0).to_csv(path, index=False)
    result = invoke("train", path, "--id-col", "series", "--epochs", 1, "--out", tmp_path / "run", *NET)
    assert result.exit_code == 0, result.output
    assert loop.auto_batch_size(60 * (96 - 36 + 1), 64) == 64  # what the refit would take alone
    assert steps == [32, 32]


@pytest.mark.parametrize("cycle", [True, False])
def test_our_adam_and_one_cycle_are_torchs_to_the_bit(cycle: bool) -> None:
    """``model.optim`` replaces torch.optim (whose first call imports torch._dynamo, over a
    second): the same weights, bit for bit, after 57 clipped steps of a 2-layer LSTM."""
    import sys

    from forecast.model import optim

    def train(ours: bool) -> list[torch.Tensor]:
        torch.manual_seed(0)
        lstm, head = torch.nn.LSTM(3, 16, num_layers=2, batch_first=True), torch.nn.Linear(16, 4)
        params = [*lstm.parameters(), *head.parameters()]
        if ours:
            opt: object = optim.Adam(params, lr=3e-3)
            cyc: object = optim.OneCycle(opt, 3e-3, 57) if cycle else None  # type: ignore[arg-type]
        else:
            opt = torch.optim.Adam(params, lr=3e-3)
            cyc = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=57) if cycle else None
        gen = torch.Generator().manual_seed(1)
        for _ in range(57):
            x, y = torch.randn(32, 10, 3, generator=gen), torch.randn(32, 4, generator=gen)
            loss = (head(lstm(x)[0][:, -1]) - y).abs().mean()
            opt.zero_grad()  # type: ignore[attr-defined]
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()  # type: ignore[attr-defined]
            if cyc is not None:
                cyc.step()  # type: ignore[attr-defined]
        return [p.detach() for p in params]

    assert all(torch.equal(a, b) for a, b in zip(train(True), train(False)))
    assert "torch._dynamo" in sys.modules  # torch.optim imported it, as the docstring says
