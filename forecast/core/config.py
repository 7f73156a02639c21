"""Settings: frozen dataclasses with range checks (their choices: ``core.choices``).

The CLI builds one ``RunConfig`` from its options; every library function takes the
config or one section of it. ``RunConfig.to_dict``/``from_dict`` are the JSON form kept
in a run directory's ``config.json``.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from forecast.core.choices import (
    EPOCHS,
    Activation,
    Candidate,
    Deseason,
    Device,
    Fill,
    Loss,
    ModelKind,
    Scaler,
    Schedule,
    Strategy,
)
from forecast.core.errors import RunError, UsageError

__all__ = [
    "DataConfig",
    "WindowConfig",
    "ModelConfig",
    "TrainConfig",
    "RunConfig",
    "SCHEMA_VERSION",
    "normalise_freq",
    "MAX_COLUMNS",
]

SCHEMA_VERSION = (
    3  # 2: calibration errors in model.safetensors, series.json; 3: settings kept once (runs.run)
)


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise UsageError(message)


MAX_COLUMNS = 10_000  # columns a data file may have: more is no series layout (wide files included)

_FREQ_WORDS = {
    "daily": "D", "weekly": "W", "monthly": "M", "quarterly": "Q", "yearly": "Y", "annual": "Y",
    "annually": "Y", "hourly": "h", "half-hourly": "30min", "minutely": "min", "business": "B",
}  # fmt: skip
_FREQ_FAMILIES = ("M", "Q", "Y", "W")  # placed on the data's first date: frequency.anchored_freq
_FREQ_RENAMED = {  # spellings older pandas took, as pandas 2.2+ writes them
    "A": "Y", "H": "h", "T": "min", "S": "s", "L": "ms", "U": "us", "N": "ns", "BM": "BME", "BQ": "BQE",
    "BA": "BYE", "BY": "BYE", "SM": "SME", "AS": "YS", "BAS": "BYS", "BH": "bh", "CBM": "CBME",
}  # fmt: skip
_FREQ_RENAMED_ANCHORED = {"A": "YE", "Y": "YE", "Q": "QE", "M": "ME", "BA": "BYE", "BY": "BYE", "BQ": "BQE"}
FREQ_SPELLINGS = (
    "a word (daily, weekly, monthly, quarterly, yearly, hourly), a letter (D, B, W, M, Q, Y, h, min, s) "
    "or a pandas alias (MS, ME, W-MON, QS-JAN, YE-DEC, 2h, 30min)"
)


def normalise_freq(text: str) -> str:
    """``--freq`` as pandas spells it, or a family code (``M``, ``Q``, ``Y``, ``W``, with a multiple or not)
    that ``data.frequency.anchored_freq`` places on the data's first date; else UsageError naming both."""
    import warnings

    import pandas as pd

    raw = str(text).strip()
    spelled = _FREQ_WORDS.get(raw.lower(), raw)
    match = re.fullmatch(r"(\d*)\s*([A-Za-z]+)(?:-([A-Za-z]+))?", spelled)
    if match is not None:
        mult, base, suffix = match.groups()
        mult = "" if mult in ("", "1") else mult.lstrip("0") or "0"
        if suffix is None:
            base = "Y" if base == "A" else base
            if base in _FREQ_FAMILIES and mult != "0":
                return f"{mult}{base}"
            base = _FREQ_RENAMED.get(base, base)
        else:
            base = _FREQ_RENAMED_ANCHORED.get(base, base)
        spelled = f"{mult}{base}" + (f"-{suffix.upper()}" if suffix else "")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # deprecated spellings ('d') still parse
            offset = pd.tseries.frequencies.to_offset(spelled)
    except (ValueError, TypeError):
        raise UsageError(f"--freq {text!r} is not a frequency; use {FREQ_SPELLINGS}") from None
    if offset.n <= 0:
        raise UsageError(f"--freq {text!r} does not step forward in time; use {FREQ_SPELLINGS}")
    return str(offset.freqstr)


@dataclass(frozen=True)
class DataConfig:
    """Where the series is and how to read it."""

    path: str
    date_col: str | None = None
    value_col: str | None = None
    freq: str | None = None
    fill: Fill = Fill.none
    thousands: str | None = None
    id_col: str | None = None
    wide: bool = False
    covariates: tuple[str, ...] = ()  # past-observed numeric columns (--covariate)
    future_covariates: tuple[str, ...] = ()  # columns known ahead (--future-covariate)
    decimal: str = "."  # the decimal mark in values: "." or "," (--decimal)
    dayfirst: bool | None = None  # 01/02/2020 is 1 February (True), 2 January (False); None: detect
    staged: str | None = None  # where standard input was copied when ``path`` is "-"; never saved

    def __post_init__(self) -> None:
        if self.freq is not None:
            object.__setattr__(self, "freq", normalise_freq(self.freq))
        _check(self.decimal in (".", ","), f"--decimal takes '.' or ',', got {self.decimal!r}")
        if self.thousands == "." and self.decimal == ".":  # dots group thousands: commas mark decimals
            object.__setattr__(self, "decimal", ",")
        _check(
            self.thousands != self.decimal,
            f"--thousands and --decimal are both {self.decimal!r}; they must differ",
        )
        object.__setattr__(self, "covariates", tuple(self.covariates))
        object.__setattr__(self, "future_covariates", tuple(self.future_covariates))
        names = [*self.covariates, *self.future_covariates]
        dup = sorted({n for n in names if names.count(n) > 1})
        _check(not dup, f"column(s) {dup} named twice in --covariate/--future-covariate; name each once")
        _check(
            not {self.date_col, self.value_col, self.id_col} & set(names),
            "a covariate column cannot also be the date, value or id column",
        )
        _check(
            self.thousands is None or len(self.thousands) == 1,
            f"--thousands takes one character, got {self.thousands!r}",
        )
        _check(
            not (self.wide and self.id_col),
            "--wide and --id-col exclude each other: wide files have no id column",
        )


@dataclass(frozen=True)
class WindowConfig:
    """How the series becomes supervised samples. ``None`` means: derive from the frequency."""

    lookback: int | None = None
    horizon: int | None = None
    strategy: Strategy = Strategy.many_to_many
    scaler: Scaler = Scaler.window
    deseason: Deseason = Deseason.auto
    season: int | None = None
    test_size: int | None = None
    val_size: int | None = None
    calendar: bool | None = None  # sin/cos of the place in the season as inputs (None: default)
    calendar_phase: int | None = None  # the season slot of grid position 0 (set from the data)
    missing_flag: bool = False  # --fill mask: an input 1 where a value was missing (measured worse)

    def __post_init__(self) -> None:
        for name in ("lookback", "horizon", "season"):
            value = getattr(self, name)
            _check(value is None or value >= 1, f"--{name} must be at least 1, got {value}")
        for name in ("test_size", "val_size"):
            value = getattr(self, name)
            flag = name.replace("_", "-")
            _check(value is None or value >= 0, f"--{flag} must be at least 0, got {value}")


@dataclass(frozen=True)
class ModelConfig:
    """The network: cell type, depth, width. Input and output sizes come from the windows."""

    kind: ModelKind = ModelKind.lstm
    layers: int = 2
    hidden_size: int = 64
    dropout: float = 0.0
    rnn_activation: Activation = Activation.tanh
    input_size: int = 1
    output_size: int = 1
    ahead_inputs: int = 0  # trailing input columns holding known-ahead covariates, read by the head too

    def __post_init__(self) -> None:
        _check(1 <= self.layers <= 8, f"--layers must be 1 to 8, got {self.layers}")
        _check(
            1 <= self.hidden_size <= 4096,
            f"--hidden-size must be 1 to 4096, got {self.hidden_size}",
        )
        _check(0.0 <= self.dropout < 1.0, f"--dropout must be in [0, 1), got {self.dropout}")


@dataclass(frozen=True)
class TrainConfig:
    """The optimisation loop."""

    epochs: int | None = None  # None: EPOCHS[schedule] (``budget``)
    batch_size: int | None = None  # None: from the window count (32 for one short series)
    windows_per_epoch: int = 50_000
    ensemble: int = 1
    lr: float = 3e-3
    loss: Loss = Loss.mae
    patience: int = 10
    clip_grad: float | None = 1.0
    seed: int = 0
    device: Device = Device.auto
    refit: bool = True
    schedule: Schedule | None = None  # None: onecycle (resolve); with ``init``, the parent run's
    init: str | None = None  # a run whose weights training starts from (--init), as given
    # what validation may choose for each series (--candidates): the network, and the safety
    # net Theta+ETS (the mean of the two: on the suite's single series it beat choosing either)
    candidates: tuple[str, ...] = (Candidate.model.value, Candidate.comb.value)

    @property
    def budget(self) -> int:
        """Epochs to run: ``epochs``, else the schedule's default (the most with plateau)."""
        return self.epochs or EPOCHS[self.schedule or Schedule.plateau]

    def __post_init__(self) -> None:
        _check(self.epochs is None or self.epochs >= 1, f"--epochs must be at least 1, got {self.epochs}")
        _check(
            self.batch_size is None or self.batch_size >= 1,
            f"--batch-size must be at least 1, got {self.batch_size}",
        )
        _check(
            self.windows_per_epoch >= 1,
            f"--windows-per-epoch must be at least 1, got {self.windows_per_epoch}",
        )
        names = [c.value for c in Candidate]
        _check(
            bool(self.candidates) and set(self.candidates) <= set(names)
            and len(set(self.candidates)) == len(self.candidates),
            f"--candidates must name some of {', '.join(names)} once each, got {','.join(self.candidates)}",
        )  # fmt: skip
        _check(1 <= self.ensemble <= 100, f"--ensemble must be 1 to 100, got {self.ensemble}")
        _check(self.lr > 0, f"--lr must be positive, got {self.lr}")
        _check(self.patience >= 1, f"--patience must be at least 1, got {self.patience}")
        _check(
            self.clip_grad is None or self.clip_grad > 0,
            f"--clip-grad must be positive (or 0 to turn it off), got {self.clip_grad}",
        )


@dataclass(frozen=True)
class RunConfig:
    """Everything ``forecast train`` needs."""

    data: DataConfig
    window: WindowConfig = field(default_factory=WindowConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (enums become their string values); where standard input
        was staged is left out (the path stays "-")."""
        plain = _plain(dataclasses.asdict(self))
        plain["data"].pop("staged", None)
        return plain

    @classmethod
    def from_dict(cls, raw: Any) -> RunConfig:
        """Rebuild from ``to_dict`` output, checking types and ranges; RunError if invalid."""
        if not isinstance(raw, dict):
            raise RunError("config section 'settings' is not an object")
        try:
            return cls(
                data=_build(DataConfig, raw.get("data"), "data"),
                window=_build(WindowConfig, raw.get("window"), "window"),
                model=_build(ModelConfig, raw.get("model"), "model"),
                train=_build(TrainConfig, _before_schedules(raw.get("train")), "train"),
            )
        except UsageError as exc:
            raise RunError(f"config.json holds an invalid setting: {exc}") from None


def _before_schedules(train: Any) -> Any:
    """A run saved before --schedule existed trained the plateau way (now not the default)."""
    if isinstance(train, dict) and "schedule" not in train:
        return {**train, "schedule": Schedule.plateau.value}
    return train


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


_SCALAR_TYPES: dict[str, tuple[type, ...]] = {
    "int": (int,),
    "float": (int, float),
    "str": (str,),
    "bool": (bool,),
}
_TEXT_TUPLE = "tuple[str, ...]"


def _build(cls: type, raw: Any, section: str) -> Any:
    """Construct dataclass ``cls`` from a JSON dict, validating each field's type."""
    if not isinstance(raw, dict):
        raise RunError(f"config.json: section '{section}' is missing or not an object")
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in raw:
            continue  # the dataclass default applies
        value = raw[f.name]
        kwargs[f.name] = _coerce(value, str(f.type), f"{section}.{f.name}")
    unknown = set(raw) - {f.name for f in dataclasses.fields(cls)}
    if unknown:
        raise RunError(f"config.json: unknown setting(s) {sorted(unknown)} in '{section}'")
    return cls(**kwargs)


def _coerce(value: Any, type_text: str, where: str) -> Any:
    if type_text == _TEXT_TUPLE:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise RunError(f"config.json: {where} is {value!r}; expected a list of names")
        return tuple(value)
    parts = [p.strip() for p in type_text.split("|")]
    if value is None:
        if "None" in parts:
            return None
        raise RunError(f"config.json: {where} must not be null")
    for part in parts:
        enum = globals().get(part)
        if isinstance(enum, type) and issubclass(enum, Enum):
            try:
                return enum(value)
            except ValueError:
                choices = ", ".join(m.value for m in enum)
                raise RunError(f"config.json: {where} is {value!r}; expected one of {choices}") from None
        allowed = _SCALAR_TYPES.get(part)
        if allowed and isinstance(value, allowed):
            if part in ("int", "float") and isinstance(value, bool):
                continue
            return float(value) if part == "float" else value
    raise RunError(f"config.json: {where} is {value!r}; expected {type_text}")
