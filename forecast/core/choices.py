"""The choices a setting can take (enums shared by the config, the CLI and the run format)."""

from __future__ import annotations

from enum import Enum

__all__ = [
    "LABELS",
    "ModelKind",
    "Strategy",
    "Scaler",
    "Loss",
    "Schedule",
    "Device",
    "Activation",
    "Fill",
    "Method",
    "Deseason",
    "EPOCHS",
    "Candidate",
    "SERIES_METHODS",
]


class ModelKind(str, Enum):
    lstm = "lstm"
    gru = "gru"
    rnn = "rnn"
    lstm_peephole = "lstm-peephole"


class Strategy(str, Enum):
    many_to_many = "many-to-many"
    many_to_one = "many-to-one"


class Scaler(str, Enum):
    window = "window"
    standard = "standard"
    minmax = "minmax"
    none = "none"


class Loss(str, Enum):
    mae = "mae"
    mse = "mse"


class Schedule(str, Enum):
    plateau = "plateau"  # up to --epochs, early stopping on the validation loss; refit from scratch
    onecycle = "onecycle"  # exactly --epochs with a one-cycle learning rate; the refit continues


EPOCHS = {Schedule.plateau: 150, Schedule.onecycle: 10}  # --epochs' default per schedule


class Device(str, Enum):
    auto = "auto"
    cpu = "cpu"
    cuda = "cuda"


class Activation(str, Enum):
    tanh = "tanh"
    relu = "relu"


class Fill(str, Enum):
    """Gaps and empty cells: refused, repaired, or ``mask``ed (kept missing: ``model.missing``)."""

    none = "none"
    ffill = "ffill"
    interpolate = "interpolate"
    zero = "zero"
    mask = "mask"


class Method(str, Enum):
    """What predict writes (``predict --method``): each series' method as train chose it
    (``auto``), the network wherever it can, a statistical method or a baseline."""

    auto = "auto"
    model = "model"
    theta = "theta"
    ets = "ets"
    comb = "comb"
    naive = "naive"
    seasonal_naive = "seasonal_naive"
    drift = "drift"


class Deseason(str, Enum):
    auto = "auto"
    on = "on"
    off = "off"


class Candidate(str, Enum):
    """What train's validation may choose for a series (``--candidates``): the network, or a
    statistical safety net (``scoring.statistical``)."""

    model = "model"
    theta = "theta"
    ets = "ets"
    comb = "comb"  # the mean of Theta's and ETS's forecasts


# how messages and tables name the statistical candidates (the network goes by its cell: LSTM)
LABELS = {"theta": "Theta", "ets": "ETS", "comb": "Theta+ETS"}
# what series.json may name as a series' method: the candidates, and the fallback of series too
# short for any of them
SERIES_METHODS = (*(c.value for c in Candidate), "seasonal_naive")
