"""The command line: options -> one config -> workflow call -> rendered result.

With ``options`` (declarations, --config files) and ``render`` (Reporter, tables) it
is the CLI layer: the only code that prints, uses rich or picks exit codes. Heavy libraries
(torch, pandas, scikit-learn) are imported inside the commands, so ``--help`` is fast.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import sys
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from forecast import __version__
from forecast.cli import config_file
from forecast.cli import options as o
from forecast.cli.render import Reporter, forecast_table, frame_table, metrics_table, model_card, progress
from forecast.cli.signals import interruptible
from forecast.cli.stdin import staged_config, staged_file
from forecast.core.config import (
    Activation,
    DataConfig,
    Deseason,
    Device,
    Fill,
    Loss,
    Method,
    ModelConfig,
    ModelKind,
    RunConfig,
    Scaler,
    Strategy,
    TrainConfig,
    WindowConfig,
)
from forecast.core.errors import ForecastError, OutputError, RunError
from forecast.model import distributed

app = typer.Typer(
    name="forecast",
    help="Forecast time series with recurrent neural networks (LSTM, GRU, RNN, peephole LSTM).",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


INTERRUPTED = "interrupted by SIGINT; nothing was written"


def command(name: str, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a command whose errors all map to exit codes here, in one place."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        sig = inspect.signature(fn, eval_str=True)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kw: Any) -> Any:
            ctx = kw.pop("ctx_", None)
            # under torchrun only rank 0 talks: it also reports the other processes' failures
            main = distributed.from_env().main
            debug, as_json = bool(kw.get("debug")), bool(kw.get("as_json")) and main
            # idle OpenMP threads sleep instead of spinning: shared cores stay usable
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            try:
                problem = config_file.first_problem(ctx) if ctx is not None else None
                if problem is not None:  # a bad --config file: its own json and debug do not count
                    debug = debug and config_file.on_command_line(ctx, "debug")
                    as_json = as_json and config_file.on_command_line(ctx, "as_json")
                    raise problem
                with interruptible(), warnings.catch_warnings():
                    if not debug:  # numeric chatter from libraries is not for cron logs
                        warnings.simplefilter("ignore")
                    return fn(*args, **kw)
            except typer.Exit:
                raise
            except ForecastError as exc:
                if debug:
                    traceback.print_exc()
                _fail(str(exc), exc.exit_code, as_json, main)
            except KeyboardInterrupt:
                _fail(INTERRUPTED, 130, as_json, main)
            except OSError as exc:  # disk full or read-only wherever it struck: exit 6, not a bug
                failed = OutputError.of(exc, exc.filename or "an output file", all_errors=False)
                if failed is None:
                    _bug(exc, debug, as_json, main)
                else:
                    _fail(str(failed), failed.exit_code, as_json, main)
            except Exception as exc:  # a bug: one line unless --debug
                _bug(exc, debug, as_json, main)

        if "config" in sig.parameters:  # the click context holds the --config file's problems
            ctx_param = inspect.Parameter(
                "ctx_", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context
            )
            wrapper.__signature__ = sig.replace(parameters=[ctx_param, *sig.parameters.values()])  # type: ignore[attr-defined]
            wrapper.__annotations__ = {"ctx_": typer.Context, **fn.__annotations__}
        return app.command(name, **kwargs)(wrapper)

    return decorate


def _bug(exc: Exception, debug: bool, as_json: bool, speak: bool) -> None:
    """An unexpected exception: one line and exit 1 (the traceback with --debug)."""
    if debug:
        traceback.print_exc()
    detail = f"{type(exc).__name__}: {exc}".splitlines()[0]
    _fail(f"internal error ({detail}); rerun with --debug and report it", 1, as_json, speak)


def _fail(message: str, code: int, as_json: bool, speak: bool = True) -> None:
    if speak:
        Reporter(as_json=False, quiet=False).error(message)
    if as_json:
        sys.stdout.write(json.dumps({"ok": False, "exit_code": code, "error": message}) + "\n")
    raise typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"forecast {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        Optional[bool],
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit."),
    ] = None,
) -> None:
    """Forecast time series with recurrent neural networks.

    [b]forecast train data.csv[/b] trains and saves a run under runs/;
    [b]forecast predict --horizon 12[/b] forecasts from the newest run.
    """


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

    The last --test-size points are held out and forecast; the network is compared with naive, seasonal-naive and drift forecasts, then retrained on all the data and saved to a run directory (config.json, model.safetensors, series.json, metrics.json, holdout.csv, history.csv, forecast.png).
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
            calendar=calendar, season=season, test_size=test_size, val_size=val_size,
        ),
        model=ModelConfig(
            kind=model, layers=layers, hidden_size=hidden_size, dropout=dropout, rnn_activation=rnn_activation
        ),
        train=TrainConfig(
            epochs=epochs, batch_size=batch_size, windows_per_epoch=windows_per_epoch, ensemble=ensemble,
            lr=lr, loss=loss, patience=patience, clip_grad=clip_grad or None, seed=seed, device=device,
            refit=refit,
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
    if outcome.skipped:
        rep.info(f"unchanged: {outcome.run_dir} has the same data (SHA-256) and settings; not retrained")
        rep.emit_json(
            {"ok": True, "skipped": True, "run_dir": outcome.run_dir.absolute(), "metrics": outcome.metrics}
        )
        return
    for message in outcome.warnings:
        rep.warn(message)
    if outcome.holdout is not None:
        rep.result(
            metrics_table(
                outcome.metrics,
                outcome.config.model.kind.value.upper(),
                rep.terminal,
                outcome.config.window.season,
            )
        )
        line = outcome.verdict or ""
        if line.startswith("warning: "):
            rep.warn(line.removeprefix("warning: "))
        else:
            rep.info(line)
    rep.info(
        f"trained {outcome.config.model.kind.value} in {outcome.seconds:.1f}s "
        f"(best epoch {outcome.best_epoch} of {outcome.epochs_run}); run saved to {outcome.run_dir}"
    )
    rep.info(f"{outcome.latest} -> {outcome.run_dir}; next: forecast predict --run {outcome.run_dir}")
    rep.emit_json(
        {
            "ok": True,
            "skipped": False,
            "run_dir": outcome.run_dir.absolute(),
            "latest": outcome.latest.absolute(),
            "files": sorted(p.name for p in outcome.run_dir.iterdir()),
            "settings": outcome.config.to_dict(),
            "metrics": outcome.metrics,
            "best_epoch": outcome.best_epoch,
            "epochs_run": outcome.epochs_run,
            "seconds": round(outcome.seconds, 3),
            "warnings": outcome.warnings,
        }
    )


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
    method: o.MethodOpt = Method.model,
    level: o.LevelOpt = None,
    as_json: o.JsonOpt = False,
    quiet: o.QuietOpt = False,
    debug: o.DebugOpt = False,
    config: o.ConfigOpt = None,
) -> None:
    """Forecast the steps after the last observation with a trained run.

    Writes CSV date,forecast,lo-80,hi-80,lo-95,hi-95 (panels: series first, method last) atomically and shows it as a table.
    """
    from forecast.runs import store

    store.recover(run)  # a swap killed half-way left the run aside: put it back first
    store.resolve_run(run)  # no run: say so before the heavy imports (torch)
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
    for message in outcome.warnings:
        rep.warn(message)
    rep.result(forecast_table(outcome.frame, rep.terminal, outcome.rows))
    by = "" if method is Method.model else f" by {method.value.replace('_', ' ')} (--method)"
    rep.info(f"forecast of {outcome.steps} steps for {outcome.series} series{by} written to {outcome.path}")
    rep.emit_json(
        {
            "ok": True,
            "run_dir": outcome.run_dir,
            "path": outcome.path,
            "series": outcome.series,
            "steps": outcome.steps,
            "method": method.value,
            "rows": outcome.rows,
            # the first PREVIEW_ROWS rows; the file holds every row
            "forecast": outcome.frame.to_dict(orient="records"),
            "truncated": outcome.rows > len(outcome.frame),
            "warnings": outcome.warnings,
        }
    )


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
    table = report.series
    rep.result(frame_table(table, rep.terminal, f"{data}: {len(table)} series, frequency {report.freq}"))
    summary = {
        "ok": report.ok,
        "path": data,
        "freq": report.freq,
        "need_rows": report.need,
        "series": table.to_dict(orient="records"),
    }
    if not report.ok:
        rep.error(report.error or "")
        rep.emit_json({**summary, "exit_code": 3, "error": report.error})
        raise typer.Exit(3)
    short = int(table["too_short"].sum())
    if short:
        rep.warn(f"{short} series shorter than {report.need} rows will be forecast by seasonal naive")
    rep.info("ok: train would accept this data")
    rep.emit_json(summary)


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
            calendar=calendar, season=season, val_size=val_size,
        ),
        model=ModelConfig(
            kind=model, layers=layers, hidden_size=hidden_size, dropout=dropout, rnn_activation=rnn_activation
        ),
        train=TrainConfig(
            epochs=epochs, batch_size=batch_size, windows_per_epoch=windows_per_epoch, ensemble=ensemble,
            lr=lr, loss=loss, patience=patience, clip_grad=clip_grad or None, seed=seed, device=device,
            refit=False,  # each fold's model is scored as trained: no retraining on all the data
        ),
    )  # fmt: skip
    rep = Reporter(as_json, quiet)
    with progress(rep) as on_epoch, staged_config(cfg) as cfg:
        outcome = backtest(cfg, folds, step, retrain, out, runs_dir, _levels(level), on_epoch, plot)
    for message in outcome.warnings:
        rep.warn(message)
    m = outcome.metrics
    scores = {"test_size": f"{m['horizon']} points x {m['folds']} folds", **m["overall"]}
    rep.result(
        metrics_table(
            scores, outcome.config.model.kind.value.upper(), rep.terminal, outcome.config.window.season
        )
    )
    cov = ", ".join(f"{k}%: {v:.0%}" for k, v in m["coverage"].items() if v is not None)
    rep.info(f"interval coverage {cov}")
    (rep.warn if m["verdict"].startswith("warning") else rep.info)(m["verdict"].removeprefix("warning: "))
    rep.info(f"backtest written to {outcome.out_dir} (backtest.csv, metrics.json, metrics_by_series.csv)")
    rep.emit_json(
        {"ok": True, "out_dir": outcome.out_dir.absolute(), "metrics": m, "warnings": outcome.warnings}
    )


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


def _interrupted() -> None:
    """SIGINT before a command's handler: one line (and JSON with --json), exit 130."""
    Reporter(as_json=False, quiet=False).error(INTERRUPTED)
    if "--json" in sys.argv:
        sys.stdout.write(json.dumps({"ok": False, "exit_code": 130, "error": INTERRUPTED}) + "\n")
    sys.exit(130)


def main() -> None:
    """Console-script entry point: usage errors become one line (and JSON with --json), exit 2."""
    usage_error = typer.BadParameter.__mro__[1]  # click's UsageError, vendored or not
    try:
        code = app(standalone_mode=False)
    except usage_error as exc:
        if exc.ctx is not None and not exc.ctx.args and "NoArgsIsHelp" in type(exc).__name__:
            typer.echo(exc.ctx.get_help())
            sys.exit(0)
        message = " ".join(exc.format_message().split())
        if exc.ctx is not None:
            message += f" (see {exc.ctx.command_path} --help)"
        if distributed.from_env().main:  # under torchrun: said once, by rank 0
            Reporter(as_json=False, quiet=False).error(message)
            if "--json" in sys.argv:
                sys.stdout.write(json.dumps({"ok": False, "exit_code": 2, "error": message}) + "\n")
        sys.exit(2)
    except (KeyboardInterrupt, EOFError):  # before a command's own handler was in place
        _interrupted()
    sys.exit(code if isinstance(code, int) else 0)
