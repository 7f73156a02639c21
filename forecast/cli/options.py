"""The CLI's option declarations (Typer ``Annotated`` aliases shared by the commands) and
``--config`` TOML files. Part of the CLI layer: nothing here runs a workflow step.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from forecast.core.config import (
    Activation,
    DataConfig,
    Deseason,
    Device,
    Fill,
    Loss,
    ModelConfig,
    ModelKind,
    RunConfig,
    Scaler,
    Strategy,
    TrainConfig,
    WindowConfig,
)
from forecast.core.errors import UsageError

EXIT_CODES = """Exit codes: 0 ok, 1 internal error, 2 bad usage, 3 bad input data,
4 run directory missing/incomplete/incompatible, 5 training failed,
6 output not written (disk full, read-only, no permission), 130/143 interrupted."""

DATA, WIN, MODEL, TRAIN, OUT = "Data", "Windows", "Model", "Training", "Output"
MAX_HORIZON = 10_000  # steps: far beyond any useful forecast, well inside pandas' dates
MAX_SEED = 2**32 - 1
MAX_CONFIG_BYTES = 1_000_000  # a --config file is a few lines of TOML


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


ConfigOpt = Annotated[
    Optional[Path],
    typer.Option(
        "--config",
        help="TOML file with option values under \\[train], \\[predict], \\[backtest] or \\[validate]; "
        "flags on the command line win.",
        rich_help_panel=OUT,
        show_default=False,
    ),
]
SECTIONS = ("train", "predict", "backtest", "validate")


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
FillOpt = Annotated[
    Fill,
    typer.Option(help="Repair gaps, empty cells and NaN: none = refuse them.", rich_help_panel=DATA),
]
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
EpochsOpt = Annotated[int, typer.Option(min=1, help="Maximum epochs.", rich_help_panel=TRAIN)]
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
    typer.Option(min=1, help="Epochs without validation improvement before stopping.", rich_help_panel=TRAIN),
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
RefitOpt = Annotated[
    bool,
    typer.Option(
        "--refit/--no-refit",
        help="Retrain on all data (best epoch count) after scoring.",
        rich_help_panel=TRAIN,
    ),
]


CONFIG_OPTIONS = (
    "data", "date_col", "value_col", "freq", "fill", "thousands", "id_col", "wide", "lookback", "horizon",
    "strategy", "scaler", "deseason", "season", "test_size", "val_size", "model", "layers", "hidden_size",
    "dropout", "rnn_activation", "epochs", "batch_size", "windows_per_epoch", "ensemble", "lr", "loss",
    "patience", "clip_grad", "seed", "device", "refit", "calendar", "covariate", "future_covariate",
    "decimal", "dayfirst",
)  # fmt: skip


def build_config(
    data: str, date_col: str | None, value_col: str | None, freq: str | None, fill: Fill, thousands: str | None,
    id_col: str | None, wide: bool, lookback: int | None, horizon: int | None, strategy: Strategy, scaler: Scaler,
    deseason: Deseason, season: int | None, test_size: int | None, val_size: int | None, model: ModelKind,
    layers: int, hidden_size: int, dropout: float, rnn_activation: Activation, epochs: int, batch_size: int | None,
    windows_per_epoch: int, ensemble: int, lr: float, loss: Loss, patience: int, clip_grad: float, seed: int,
    device: Device, refit: bool, calendar: bool | None, covariate: list[str] | None,
    future_covariate: list[str] | None, decimal: str = ".", dayfirst: bool | None = None,
) -> RunConfig:  # fmt: skip
    """The one config object built from the options train and backtest share."""
    return RunConfig(
        data=DataConfig(
            path=data,
            date_col=date_col,
            value_col=value_col,
            freq=freq,
            fill=fill,
            thousands=thousands,
            id_col=id_col,
            wide=wide,
            covariates=tuple(covariate or ()),
            future_covariates=tuple(future_covariate or ()),
            decimal=decimal,
            dayfirst=dayfirst,
        ),
        window=WindowConfig(
            lookback=lookback,
            horizon=horizon,
            strategy=strategy,
            scaler=scaler,
            deseason=deseason,
            season=season,
            test_size=test_size,
            val_size=val_size,
            calendar=calendar,
        ),
        model=ModelConfig(
            kind=model, layers=layers, hidden_size=hidden_size, dropout=dropout, rnn_activation=rnn_activation
        ),
        train=TrainConfig(
            epochs=epochs,
            batch_size=batch_size,
            windows_per_epoch=windows_per_epoch,
            ensemble=ensemble,
            lr=lr,
            loss=loss,
            patience=patience,
            clip_grad=clip_grad or None,
            seed=seed,
            device=device,
            refit=refit,
        ),
    )


def apply_config_file(
    ctx: typer.Context, command_name: str, kw: dict[str, Any], sig: inspect.Signature
) -> dict[str, Any]:
    """Options from the ``--config`` TOML section of this command, where no flag was given."""
    import tomllib

    path = Path(kw["config"])
    try:
        table = tomllib.loads(_read_config_text(path))
    except FileNotFoundError:
        raise UsageError(f"{path}: no such config file (--config)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot be read ({getattr(exc, 'strerror', None) or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML ({exc})") from None
    unknown = sorted(set(table) - set(SECTIONS))
    if unknown:
        raise UsageError(f"{path}: unknown section(s) {unknown}; use {list(SECTIONS)}")
    section = table.get(command_name, {})
    if not isinstance(section, dict):
        raise UsageError(f"{path}: [{command_name}] must be a table of option = value")
    params = {}
    for param in ctx.command.params:
        if param.name in ("config", "ctx_") or param.param_type_name != "option":
            continue
        for opt in (*param.opts, param.name or ""):  # `calendar = false`, never `no-calendar = true`
            params[opt.lstrip("-").replace("_", "-")] = param
    params["json"] = params.get("json", params.get("as-json"))
    out = dict(kw)
    for key, value in section.items():
        param = params.get(key.replace("_", "-"))
        if param is None:
            names = sorted(k for k in params if not k.startswith(("no-", "as-")) and len(k) > 1)
            raise UsageError(f"{path}: [{command_name}] has no option '{key}'; options are {names}")
        if ctx.get_parameter_source(param.name).name not in ("DEFAULT", "DEFAULT_MAP"):
            continue  # given on the command line: it wins
        if param.multiple and not isinstance(value, list):
            value = [value]
        if _base_type(sig.parameters[param.name].annotation) is int and any(
            isinstance(v, float) and not v.is_integer() for v in (value if param.multiple else [value])
        ):  # click's int() would cut 2.7 to 2
            raise UsageError(f"{path}: [{command_name}] {key} = {value!r}: not a whole number")
        try:
            value = param.type_cast_value(ctx, value)
            if param.callback is not None:  # the checks a flag gets (finite --wait)
                value = param.callback(ctx, param, value)
            out[param.name] = _as_annotated(sig.parameters[param.name].annotation, value)
        except Exception as exc:  # click's BadParameter and friends: the file's fault
            detail = " ".join(str(getattr(exc, "message", exc)).split())
            raise UsageError(f"{path}: [{command_name}] {key} = {value!r}: {detail}") from None
    return out


def _read_config_text(path: Path) -> str:
    """The text of a regular file of at most ``MAX_CONFIG_BYTES``: never a device that reads
    forever (/dev/zero) or a FIFO that blocks (opened non-blocking, checked before reading)."""
    import os
    import stat

    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise UsageError(f"{path}: not a regular file (--config); give a TOML file")
    with os.fdopen(fd, "rb") as fh:
        raw = fh.read(MAX_CONFIG_BYTES + 1)
    if len(raw) > MAX_CONFIG_BYTES:
        raise UsageError(
            f"{path}: larger than {MAX_CONFIG_BYTES:,} bytes (--config); a config file is a few lines of TOML"
        )
    return raw.decode("utf-8")


def _base_type(annotation: Any) -> Any:
    """``int`` for ``Annotated[Optional[list[int]], ...]``: the type inside the wrappers."""
    import typing

    base = annotation
    while (
        typing.get_origin(base) in (typing.Annotated, typing.Union, list)
        or type(base).__name__ == "UnionType"
    ):
        base = next(a for a in typing.get_args(base) if a is not type(None))
    return base


def _as_annotated(annotation: Any, value: Any) -> Any:
    """Click's value as the command's own type: enums and paths, as Typer would pass them."""
    import enum

    base = _base_type(annotation)
    if not isinstance(base, type) or not issubclass(base, (enum.Enum, Path)) or value is None:
        return value
    return [base(v) for v in value] if isinstance(value, (list, tuple)) else base(value)
