"""The CLI's option declarations: Typer ``Annotated`` aliases, grouped by the help panel and
config section they feed (Data, Windows, Model, Training, Output), then each command's own.
``--config`` files are ``config_file``'s. Part of the CLI layer: nothing here runs a workflow step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from forecast.cli.config_file import ConfigOpt as ConfigOpt
from forecast.core.choices import (
    Activation,
    Deseason,
    Device,
    Fill,
    Loss,
    Method,
    ModelKind,
    Scaler,
    Schedule,
    Strategy,
)

EXIT_CODES = """Exit codes: 0 ok, 1 internal error, 2 bad usage, 3 bad input data,
4 run directory missing/incomplete/incompatible, 5 training failed,
6 output not written (disk full, read-only, no permission), 130/143 interrupted."""

DATA, WIN, MODEL, TRAIN, OUT = "Data", "Windows", "Model", "Training", "Output"
MAX_HORIZON = 10_000  # steps: far beyond any useful forecast, well inside pandas' dates
MAX_SEED = 2**32 - 1


def finite(value: float | None) -> float | None:
    """Option callback: NaN and infinity are not seconds, rates or fractions."""
    import math

    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"{value} is not a finite number.")
    return value


JsonOpt = Annotated[
    bool,
    typer.Option(
        "--json", help="Print one JSON object on stdout; human output goes to stderr.", rich_help_panel=OUT
    ),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print errors only.", rich_help_panel=OUT)]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.", rich_help_panel=OUT)]


# options shared by train and validate (and --level by train and predict)
LevelOpt = Annotated[
    Optional[list[int]],
    typer.Option(
        "--level",
        min=1,
        max=99,
        help="Prediction interval level in % (repeatable; default 80 and 95).",
        rich_help_panel=OUT,
    ),
]
DateColOpt = Annotated[
    Optional[str],
    typer.Option(help="Date column (default: found by name or by parsing).", rich_help_panel=DATA),
]
ValueColOpt = Annotated[
    Optional[str],
    typer.Option(help="Value column (default: the one numeric column).", rich_help_panel=DATA),
]
FreqOpt = Annotated[
    Optional[str],
    typer.Option(
        help="Frequency: monthly, M, Q, Y, W, D, h (placed on the first date) or pandas' MS, W-SUN, 30min "
        "(default: inferred).",
        rich_help_panel=DATA,
    ),
]
_FILL = "Gaps, empty cells, NaN: none = refuse; mask = keep the target missing; others repair."
FillOpt = Annotated[Fill, typer.Option(help=_FILL, rich_help_panel=DATA)]
ThousandsOpt = Annotated[
    Optional[str], typer.Option(help="Thousands separator in values, e.g. ','.", rich_help_panel=DATA)
]
DecimalOpt = Annotated[
    str,
    typer.Option(
        help="Decimal mark in values: '.' or ',' (1.234,5: --decimal , --thousands .).", rich_help_panel=DATA
    ),
]
DayfirstOpt = Annotated[
    Optional[bool],
    typer.Option(
        "--dayfirst/--monthfirst",
        help="Read 01/02/2020 as 1 February (or 2 January); default: day first where a day is over 12.",
        rich_help_panel=DATA,
        show_default=False,
    ),
]
IdColOpt = Annotated[
    Optional[str],
    typer.Option(
        help="Series id column: long format, one global model for all series.", rich_help_panel=DATA
    ),
]
CovariateOpt = Annotated[
    Optional[list[str]],
    typer.Option(
        "--covariate",
        help="Past-observed numeric column fed to the network as an extra input (repeatable).",
        rich_help_panel=DATA,
        show_default=False,
    ),
]
FutureCovariateOpt = Annotated[
    Optional[list[str]],
    typer.Option(
        "--future-covariate",
        help="Column known ahead (prices, holidays; repeatable): predict then needs --future.",
        rich_help_panel=DATA,
        show_default=False,
    ),
]
WideOpt = Annotated[
    bool,
    typer.Option("--wide", help="Every numeric column is a series (wide format).", rich_help_panel=DATA),
]
LookbackOpt = Annotated[
    Optional[int],
    typer.Option(min=1, help="Input window length (default: two seasons, 24 monthly).", rich_help_panel=WIN),
]
HorizonOpt = Annotated[
    Optional[int],
    typer.Option(
        min=1,
        max=MAX_HORIZON,
        help="Steps to forecast (default: one season, 12 monthly).",
        rich_help_panel=WIN,
    ),
]
StrategyOpt = Annotated[
    Strategy,
    typer.Option(
        help="many-to-many: whole horizon at once; many-to-one: one step, rolled forward.",
        rich_help_panel=WIN,
    ),
]
SeasonOpt = Annotated[
    Optional[int],
    typer.Option(
        min=1, help="Seasonal period (default: from the frequency, 12 monthly).", rich_help_panel=WIN
    ),
]
TestSizeOpt = Annotated[
    Optional[int],
    typer.Option(
        min=0, help="Points held out for scoring (default: horizon; 0 = none).", rich_help_panel=WIN
    ),
]


ScalerOpt = Annotated[
    Scaler,
    typer.Option(
        help="window: log + each window's own level; or standard/minmax/none fitted on the training part.",
        rich_help_panel=WIN,
    ),
]
CalendarOpt = Annotated[
    Optional[bool],
    typer.Option(
        "--calendar/--no-calendar",
        help="Feed sin/cos of the place in the season (month, weekday...) as inputs (default: off).",
        rich_help_panel=WIN,
        show_default=False,
    ),
]
DeseasonOpt = Annotated[
    Deseason,
    typer.Option(
        help="Remove the seasonal pattern first; auto = when the seasonality test passes.",
        rich_help_panel=WIN,
    ),
]
ValSizeOpt = Annotated[
    Optional[int],
    typer.Option(
        min=0,
        help="Points before the hold-out used for early stopping (default: 2 x horizon).",
        rich_help_panel=WIN,
    ),
]
ModelOpt = Annotated[ModelKind, typer.Option(help="Recurrent cell.", rich_help_panel=MODEL)]
LayersOpt = Annotated[
    int, typer.Option(min=1, max=8, help="Stacked recurrent layers.", rich_help_panel=MODEL)
]
HiddenSizeOpt = Annotated[int, typer.Option(min=1, max=4096, help="Units per layer.", rich_help_panel=MODEL)]
DropoutOpt = Annotated[
    float, typer.Option(min=0.0, max=0.95, help="Dropout between layers.", rich_help_panel=MODEL)
]
RnnActivationOpt = Annotated[
    Activation, typer.Option(help="Activation of --model rnn.", rich_help_panel=MODEL)
]
_EPOCHS = (
    "Epochs: exactly this many with onecycle (default 10, fewer on big panels), the most with plateau (150)."
)
EpochsOpt = Annotated[
    Optional[int], typer.Option(min=1, help=_EPOCHS, show_default=False, rich_help_panel=TRAIN)
]
BatchSizeOpt = Annotated[
    Optional[int],
    typer.Option(
        min=1,
        help="Windows per batch (default: from the window count, 32 to 1024).",
        rich_help_panel=TRAIN,
    ),
]
WindowsPerEpochOpt = Annotated[
    int,
    typer.Option(
        min=1, help="Windows drawn per epoch (bounds epoch time on big panels).", rich_help_panel=TRAIN
    ),
]
EnsembleOpt = Annotated[
    int,
    typer.Option(
        min=1,
        max=100,
        help="Models from seeds seed, seed+1, ...; forecasts are their median.",
        rich_help_panel=TRAIN,
    ),
]
LrOpt = Annotated[float, typer.Option(min=1e-7, help="Adam learning rate.", rich_help_panel=TRAIN)]
LossOpt = Annotated[Loss, typer.Option(help="Training loss in model space.", rich_help_panel=TRAIN)]
PatienceOpt = Annotated[
    int,
    typer.Option(
        min=1,
        help="Epochs without validation improvement before stopping (--schedule plateau).",
        rich_help_panel=TRAIN,
    ),
]
ClipGradOpt = Annotated[
    float, typer.Option(min=0.0, help="Gradient-norm clip (0 = off).", rich_help_panel=TRAIN)
]
SeedOpt = Annotated[
    int,
    typer.Option(
        min=0, max=MAX_SEED, help="Random seed: same seed, same forecasts on CPU.", rich_help_panel=TRAIN
    ),
]
DeviceOpt = Annotated[Device, typer.Option(help="auto = CUDA when present.", rich_help_panel=TRAIN)]
_SCHEDULE = "onecycle (default): fixed epochs, warm refit; plateau: early stopping, refit anew."
ScheduleOpt = Annotated[
    Optional[Schedule], typer.Option(help=_SCHEDULE, show_default=False, rich_help_panel=TRAIN)
]
RefitOpt = Annotated[
    bool,
    typer.Option(
        "--refit/--no-refit",
        help="Train on all data after scoring (onecycle: continue; plateau: anew).",
        rich_help_panel=TRAIN,
    ),
]


# train's own
TrainDataArg = Annotated[
    str,
    typer.Argument(
        help="CSV (may be .gz, .bz2, .xz, .zst, .zip) or Parquet file, - for standard input: a date "
        "column and a numeric value column.",
        show_default=False,
    ),
]
TrainOutOpt = Annotated[
    Optional[Path],
    typer.Option(help="Run directory (default: <runs-dir>/<UTC time>).", rich_help_panel=OUT),
]
RunsDirOpt = Annotated[Path, typer.Option(help="Where runs and the 'latest' link live.", rich_help_panel=OUT)]
TrainWaitOpt = Annotated[
    float,
    typer.Option(
        min=0,
        callback=finite,
        help="Seconds to wait when another run holds --out (default: fail at once).",
        rich_help_panel=OUT,
    ),
]
TrainPlotOpt = Annotated[
    bool,
    typer.Option("--plot/--no-plot", help="Draw forecast.png (hold-out) into the run.", rich_help_panel=OUT),
]
IfChangedOpt = Annotated[
    bool,
    typer.Option(
        "--if-changed",
        help="Skip training when the newest run has the same data and settings.",
        rich_help_panel=OUT,
    ),
]

# predict's own
PredictHorizonOpt = Annotated[
    Optional[int],
    typer.Option(
        min=1,
        max=MAX_HORIZON,
        help="Steps to forecast (default: the trained horizon; longer rolls forward).",
    ),
]
PredictRunOpt = Annotated[Path, typer.Option(help="Run directory to load.")]
PredictDataOpt = Annotated[
    Optional[str],
    typer.Option(
        help="CSV or Parquet file (- for standard input) with the same columns, possibly newer rows "
        "(default: the training file)."
    ),
]
PredictOutOpt = Annotated[
    Optional[Path], typer.Option(help="Output CSV (default: forecast.csv in the run directory).")
]
PredictSeriesOpt = Annotated[
    Optional[list[str]], typer.Option("--series", help="Forecast only this series id (repeatable).")
]
PredictWaitOpt = Annotated[
    float,
    typer.Option(min=0, callback=finite, help="Seconds to wait for another process writing the same file."),
]
FutureOpt = Annotated[
    Optional[str],
    typer.Option(
        help="CSV or Parquet file with the known-ahead covariates (--future-covariate) at the forecast dates.",
        show_default=False,
    ),
]
MethodOpt = Annotated[
    Method,
    typer.Option(
        help="auto: each series by the method train chose on validation (the network or the safety net); "
        "model: the network wherever it can; comb, theta, ets, naive, seasonal_naive or drift: that "
        "method for every series, with intervals from its past errors.",
    ),
]

# validate's and backtest's own
ValidateDataArg = Annotated[
    str, typer.Argument(help="CSV or Parquet file to check (- for standard input).", show_default=False)
]
BacktestDataArg = Annotated[
    str,
    typer.Argument(help="CSV or Parquet file, as for train (- for standard input).", show_default=False),
]
FoldsOpt = Annotated[
    int, typer.Option(min=1, max=100, help="Number of forecast origins.", rich_help_panel=WIN)
]
StepOpt = Annotated[
    Optional[int],
    typer.Option(min=1, help="Steps between origins (default: the horizon).", rich_help_panel=WIN),
]
RetrainOpt = Annotated[
    bool,
    typer.Option(
        "--retrain/--no-retrain",
        help="A fresh model per fold, or one model from the first fold.",
        rich_help_panel=TRAIN,
    ),
]
BacktestPlotOpt = Annotated[
    bool,
    typer.Option("--plot/--no-plot", help="Draw backtest.png into the report.", rich_help_panel=OUT),
]
BacktestOutOpt = Annotated[
    Optional[Path],
    typer.Option(help="Report directory (default: <runs-dir>/backtest-<UTC time>).", rich_help_panel=OUT),
]
BacktestRunsDirOpt = Annotated[
    Path, typer.Option(help="Parent of the default report directory.", rich_help_panel=OUT)
]

# plot's and info's own
PlotRunOpt = Annotated[Path, typer.Option(help="Run directory.")]
PlotSeriesOpt = Annotated[
    Optional[list[str]], typer.Option("--series", help="Only this series (repeatable).")
]
PlotOutOpt = Annotated[
    Optional[Path],
    typer.Option(
        help="Picture file; its suffix picks the format: .png, .pdf, .svg, .jpg... "
        "(default: forecast.png in the run directory)."
    ),
]
PlotDataOpt = Annotated[
    Optional[str],
    typer.Option(help="CSV or Parquet file to draw the history from (default: the training file)."),
]
InfoRunArg = Annotated[Path, typer.Argument(help="Run directory.")]
