"""The commands: options -> one config, a section per option group -> workflow call -> report.

With ``exits`` (the app, errors to exit codes, ``main``), ``options`` (declarations),
``config_file`` (--config), ``reports`` and ``render`` (what is printed), ``stdin`` and
``signals`` it is the CLI layer: the only code that prints, uses rich or picks exit codes. Heavy
libraries (torch, pandas, scikit-learn) are imported inside the commands, so ``--help`` is fast.
"""

from __future__ import annotations

from pathlib import Path

import typer

from forecast.cli import options as o
from forecast.cli import reports
from forecast.cli.exits import app as app
from forecast.cli.exits import command
from forecast.cli.exits import main as main
from forecast.cli.render import Reporter, model_card, progress
from forecast.cli.reuse_options import CandidatesOpt, InitOpt, MissingFlagOpt
from forecast.cli.stdin import staged_config, staged_file
from forecast.core.choices import (
    Activation,
    Deseason,
    Device,
    Fill,
    Loss,
    Method,
    ModelKind,
    Scaler,
    Strategy,
)
from forecast.core.config import DataConfig, ModelConfig, RunConfig, TrainConfig, WindowConfig
from forecast.core.errors import RunError
from forecast.model import distributed


@command(
    "train",
    epilog="Examples: forecast train sample_data/alcohol_sales.csv --model gru --epochs 50\n\n"
    "forecast train sales.csv --id-col store --future-covariate promo --covariate temperature\n\n"
    + o.EXIT_CODES,
)
def train_cmd(
    data: o.TrainDataArg,
    date_col: o.DateColOpt = None,
    value_col: o.ValueColOpt = None,
    freq: o.FreqOpt = None,
    fill: o.FillOpt = Fill.none,
    thousands: o.ThousandsOpt = None,
    decimal: o.DecimalOpt = ".",
    dayfirst: o.DayfirstOpt = None,
    id_col: o.IdColOpt = None,
    wide: o.WideOpt = False,
    covariate: o.CovariateOpt = None,
    future_covariate: o.FutureCovariateOpt = None,
    lookback: o.LookbackOpt = None,
    horizon: o.HorizonOpt = None,
    strategy: o.StrategyOpt = Strategy.many_to_many,
    scaler: o.ScalerOpt = Scaler.window,
    deseason: o.DeseasonOpt = Deseason.auto,
    calendar: o.CalendarOpt = None,
    missing_flag: MissingFlagOpt = False,
    season: o.SeasonOpt = None,
    test_size: o.TestSizeOpt = None,
    val_size: o.ValSizeOpt = None,
    model: o.ModelOpt = ModelKind.lstm,
    layers: o.LayersOpt = ModelConfig.layers,
    hidden_size: o.HiddenSizeOpt = ModelConfig.hidden_size,
    dropout: o.DropoutOpt = ModelConfig.dropout,
    rnn_activation: o.RnnActivationOpt = Activation.tanh,
    epochs: o.EpochsOpt = TrainConfig.epochs,
    batch_size: o.BatchSizeOpt = None,
    windows_per_epoch: o.WindowsPerEpochOpt = TrainConfig.windows_per_epoch,
    ensemble: o.EnsembleOpt = 1,
    lr: o.LrOpt = TrainConfig.lr,
    loss: o.LossOpt = Loss.mae,
    patience: o.PatienceOpt = TrainConfig.patience,
    clip_grad: o.ClipGradOpt = 1.0,
    seed: o.SeedOpt = TrainConfig.seed,
    device: o.DeviceOpt = Device.auto,
    refit: o.RefitOpt = True,
    schedule: o.ScheduleOpt = TrainConfig.schedule,
    init: InitOpt = None,
    candidates: CandidatesOpt = ",".join(TrainConfig.candidates),
    out: o.TrainOutOpt = None,
    runs_dir: o.RunsDirOpt = Path("runs"),
    wait: o.TrainWaitOpt = 0.0,
    level: o.LevelOpt = None,
    plot: o.TrainPlotOpt = True,
    if_changed: o.IfChangedOpt = False,
    as_json: o.JsonOpt = False,
    quiet: o.QuietOpt = False,
    debug: o.DebugOpt = False,
    config: o.ConfigOpt = None,
) -> None:
    """Train a recurrent network on one series or a panel, score it on a hold-out, save a run.

    Each series gets the network or a statistical safety net (Theta+ETS), whichever erred least at validation origins before the hold-out (--candidates). The last --test-size points are held out and forecast by that choice, compared with naive, seasonal-naive and drift forecasts; the network is then retrained on all the data and the run saved to a directory (config.json, model.safetensors, series.json, metrics.json, holdout.csv, history.csv, forecast.png).
    """
    from forecast.workflows.train import train

    cfg = RunConfig(  # one section per option group
        data=DataConfig(
            path=data, date_col=date_col, value_col=value_col, freq=freq, fill=fill, thousands=thousands,
            decimal=decimal, dayfirst=dayfirst, id_col=id_col, wide=wide,
            covariates=tuple(covariate or ()), future_covariates=tuple(future_covariate or ()),
        ),
        window=WindowConfig(
            lookback=lookback, horizon=horizon, strategy=strategy, scaler=scaler, deseason=deseason,
            calendar=calendar, season=season, test_size=test_size, val_size=val_size, missing_flag=missing_flag,
        ),
        model=ModelConfig(
            kind=model, layers=layers, hidden_size=hidden_size, dropout=dropout, rnn_activation=rnn_activation
        ),
        train=TrainConfig(
            epochs=epochs, batch_size=batch_size, windows_per_epoch=windows_per_epoch, ensemble=ensemble,
            lr=lr, loss=loss, patience=patience, clip_grad=clip_grad or None, seed=seed, device=device,
            refit=refit, schedule=schedule, init=str(init) if init else None,
            candidates=tuple(n.strip() for n in candidates.split(",")),
        ),
    )  # fmt: skip
    main = distributed.from_env().main  # under torchrun the other processes stay quiet
    rep = Reporter(as_json and main, quiet or not main)
    with progress(rep) as on_epoch, staged_config(cfg) as cfg:
        outcome = train(
            cfg,
            out=out,
            runs_dir=runs_dir,
            on_epoch=on_epoch,
            wait=wait,
            if_changed=if_changed,
            levels=_levels(level),
            plot=plot,
        )
    reports.train(rep, outcome)


@command(
    "predict",
    epilog="Examples: forecast predict --horizon 24 --out next2y.csv\n\n"
    "forecast predict --future plan.csv (runs with --future-covariate)\n\n" + o.EXIT_CODES,
)
def predict_cmd(
    horizon: o.PredictHorizonOpt = None,
    run: o.PredictRunOpt = Path("runs/latest"),
    data: o.PredictDataOpt = None,
    out: o.PredictOutOpt = None,
    series: o.PredictSeriesOpt = None,
    wait: o.PredictWaitOpt = 60.0,
    future: o.FutureOpt = None,
    method: o.MethodOpt = Method.auto,
    level: o.LevelOpt = None,
    as_json: o.JsonOpt = False,
    quiet: o.QuietOpt = False,
    debug: o.DebugOpt = False,
    config: o.ConfigOpt = None,
) -> None:
    """Forecast the steps after the last observation with a trained run.

    Writes CSV date,forecast,lo-80,hi-80,lo-95,hi-95 (panels: series first, method last) atomically and shows it as a table.
    """
    from forecast.runs import dirs, files

    dirs.recover(run)  # a swap killed half-way left the run aside: put it back first
    files.resolve_run(run)  # no run: say so before the heavy imports (torch)
    from forecast.workflows.predict import predict

    rep = Reporter(as_json, quiet)
    with staged_file(data) as data_path:  # --data -: standard input
        outcome = predict(
            run,
            horizon=horizon,
            data_path=data_path,
            out=out,
            only=series,
            wait=wait,
            levels=_levels(level),
            future_path=future,
            method=method,
        )
    reports.predict(rep, outcome, method)


@command("validate", epilog="Example: forecast validate sales.csv --id-col store --json\n\n" + o.EXIT_CODES)
def validate_cmd(
    data: o.ValidateDataArg,
    date_col: o.DateColOpt = None,
    value_col: o.ValueColOpt = None,
    freq: o.FreqOpt = None,
    fill: o.FillOpt = Fill.none,
    thousands: o.ThousandsOpt = None,
    decimal: o.DecimalOpt = ".",
    dayfirst: o.DayfirstOpt = None,
    id_col: o.IdColOpt = None,
    wide: o.WideOpt = False,
    covariate: o.CovariateOpt = None,
    future_covariate: o.FutureCovariateOpt = None,
    lookback: o.LookbackOpt = None,
    horizon: o.HorizonOpt = None,
    strategy: o.StrategyOpt = Strategy.many_to_many,
    season: o.SeasonOpt = None,
    test_size: o.TestSizeOpt = None,
    as_json: o.JsonOpt = False,
    quiet: o.QuietOpt = False,
    debug: o.DebugOpt = False,
    config: o.ConfigOpt = None,
) -> None:
    """Check a data file the way train would, without training (the pre-flight for pipelines).

    Reports per series: rows, first and last date, the frequency, NaN cells, duplicate dates, gaps, and whether it is too short for lookback + horizon (such series get the seasonal-naive fallback). Exits 0 when train would accept the data, 3 otherwise, with the same message train would give.
    """
    from forecast.workflows.inspect import validate

    cfg = RunConfig(  # one section per option group
        data=DataConfig(
            path=data, date_col=date_col, value_col=value_col, freq=freq, fill=fill, thousands=thousands,
            decimal=decimal, dayfirst=dayfirst, id_col=id_col, wide=wide,
            covariates=tuple(covariate or ()), future_covariates=tuple(future_covariate or ()),
        ),
        window=WindowConfig(
            lookback=lookback, horizon=horizon, strategy=strategy, season=season, test_size=test_size
        ),
    )  # fmt: skip
    rep = Reporter(as_json, quiet)
    with staged_config(cfg) as staged:
        report = validate(staged)
    if not reports.validate(rep, report, data):
        raise typer.Exit(3)


@command(
    "backtest",
    epilog="Example: forecast backtest sample_data/alcohol_sales.csv --folds 4 --step 6\n\n" + o.EXIT_CODES,
)
def backtest_cmd(
    data: o.BacktestDataArg,
    folds: o.FoldsOpt = 3,
    step: o.StepOpt = None,
    retrain: o.RetrainOpt = True,
    date_col: o.DateColOpt = None,
    value_col: o.ValueColOpt = None,
    freq: o.FreqOpt = None,
    fill: o.FillOpt = Fill.none,
    thousands: o.ThousandsOpt = None,
    decimal: o.DecimalOpt = ".",
    dayfirst: o.DayfirstOpt = None,
    id_col: o.IdColOpt = None,
    wide: o.WideOpt = False,
    covariate: o.CovariateOpt = None,
    future_covariate: o.FutureCovariateOpt = None,
    lookback: o.LookbackOpt = None,
    horizon: o.HorizonOpt = None,
    strategy: o.StrategyOpt = Strategy.many_to_many,
    scaler: o.ScalerOpt = Scaler.window,
    deseason: o.DeseasonOpt = Deseason.auto,
    calendar: o.CalendarOpt = None,
    missing_flag: MissingFlagOpt = False,
    season: o.SeasonOpt = None,
    val_size: o.ValSizeOpt = None,
    model: o.ModelOpt = ModelKind.lstm,
    layers: o.LayersOpt = ModelConfig.layers,
    hidden_size: o.HiddenSizeOpt = ModelConfig.hidden_size,
    dropout: o.DropoutOpt = ModelConfig.dropout,
    rnn_activation: o.RnnActivationOpt = Activation.tanh,
    epochs: o.EpochsOpt = TrainConfig.epochs,
    batch_size: o.BatchSizeOpt = None,
    windows_per_epoch: o.WindowsPerEpochOpt = TrainConfig.windows_per_epoch,
    ensemble: o.EnsembleOpt = 1,
    lr: o.LrOpt = TrainConfig.lr,
    loss: o.LossOpt = Loss.mae,
    patience: o.PatienceOpt = TrainConfig.patience,
    schedule: o.ScheduleOpt = TrainConfig.schedule,
    clip_grad: o.ClipGradOpt = 1.0,
    seed: o.SeedOpt = TrainConfig.seed,
    device: o.DeviceOpt = Device.auto,
    level: o.LevelOpt = None,
    plot: o.BacktestPlotOpt = True,
    out: o.BacktestOutOpt = None,
    runs_dir: o.BacktestRunsDirOpt = Path("runs"),
    as_json: o.JsonOpt = False,
    quiet: o.QuietOpt = False,
    debug: o.DebugOpt = False,
    config: o.ConfigOpt = None,
) -> None:
    """Rolling-origin evaluation: train before each of --folds origins, forecast the horizon after it, score against what happened.

    The last origin is one horizon before the end, earlier ones --step apart. Per fold and overall: MAE, RMSE, MAPE, sMAPE and MASE of the model and of naive, seasonal-naive and drift forecasts, and the coverage of the prediction intervals. Writes backtest.csv (every forecast with its origin and actual), metrics.json and metrics_by_series.csv.
    """
    from forecast.workflows.backtest import backtest

    cfg = RunConfig(  # one section per option group; the folds take the place of a hold-out
        data=DataConfig(
            path=data, date_col=date_col, value_col=value_col, freq=freq, fill=fill, thousands=thousands,
            decimal=decimal, dayfirst=dayfirst, id_col=id_col, wide=wide,
            covariates=tuple(covariate or ()), future_covariates=tuple(future_covariate or ()),
        ),
        window=WindowConfig(
            lookback=lookback, horizon=horizon, strategy=strategy, scaler=scaler, deseason=deseason,
            calendar=calendar, season=season, val_size=val_size, missing_flag=missing_flag,
        ),
        model=ModelConfig(
            kind=model, layers=layers, hidden_size=hidden_size, dropout=dropout, rnn_activation=rnn_activation
        ),
        train=TrainConfig(
            epochs=epochs, batch_size=batch_size, windows_per_epoch=windows_per_epoch, ensemble=ensemble,
            lr=lr, loss=loss, patience=patience, clip_grad=clip_grad or None, seed=seed, device=device,
            refit=False, schedule=schedule,  # each fold's model is scored as trained: no refit
        ),
    )  # fmt: skip
    rep = Reporter(as_json, quiet)
    with progress(rep) as on_epoch, staged_config(cfg) as cfg:
        outcome = backtest(cfg, folds, step, retrain, out, runs_dir, _levels(level), on_epoch, plot)
    reports.backtest(rep, outcome)


@command(
    "plot", epilog="Example: forecast plot --run runs/latest --series s01 --out s01.png\n\n" + o.EXIT_CODES
)
def plot_cmd(
    run: o.PlotRunOpt = Path("runs/latest"),
    series: o.PlotSeriesOpt = None,
    out: o.PlotOutOpt = None,
    data: o.PlotDataOpt = None,
    as_json: o.JsonOpt = False,
    quiet: o.QuietOpt = False,
    debug: o.DebugOpt = False,
) -> None:
    """Draw a run: recent history, hold-out actuals and forecast, and the latest forecast.csv with shaded intervals; one panel per series (a grid of up to 12)."""
    from forecast.workflows.inspect import plot_run

    rep = Reporter(as_json, quiet)
    with staged_file(data) as data_path:  # --data -: standard input
        outcome = plot_run(run, out=out, only=series, data_path=data_path)
    for message in outcome.warnings:
        rep.warn(message)
    rep.info(f"picture written to {outcome.path}")
    rep.emit_json({"ok": True, "path": outcome.path, "warnings": outcome.warnings})


@command("info", epilog="Example: forecast info runs/latest --json\n\n" + o.EXIT_CODES)
def info_cmd(
    run: o.InfoRunArg = Path("runs/latest"),
    as_json: o.JsonOpt = False,
    quiet: o.QuietOpt = False,
    debug: o.DebugOpt = False,
) -> None:
    """Print a run's model card: data and its hash, series, frequency, every setting, training time and epochs, hold-out metrics against the baselines, interval coverage, versions."""
    from forecast.workflows.inspect import info

    rep = Reporter(as_json, quiet)
    card = info(run)
    for line in model_card(card):
        rep.result(line)
    problems = card.pop("problems")
    if problems:  # the card above shows what could be read; "?" marks these fields
        more = f" (and {len(problems) - 1} more malformed field(s))" if len(problems) > 1 else ""
        raise RunError(f"{problems[0]}{more}")
    rep.emit_json({"ok": True, **card})


def _levels(level: list[int] | None) -> tuple[int, ...]:
    return tuple(sorted(set(level))) if level else (80, 95)
