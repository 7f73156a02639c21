"""Settings: range checks and the JSON round trip used by config.json."""

from __future__ import annotations

import pytest

from forecast.core.choices import ModelKind, Strategy
from forecast.core.config import DataConfig, ModelConfig, RunConfig, TrainConfig, WindowConfig
from forecast.core.errors import RunError, UsageError


def _cfg() -> RunConfig:
    return RunConfig(
        data=DataConfig(path="x.csv", value_col="v"),
        window=WindowConfig(lookback=24, horizon=12, strategy=Strategy.many_to_one),
        model=ModelConfig(kind=ModelKind.lstm_peephole, dropout=0.1),
        train=TrainConfig(clip_grad=None, lr=0.01),
    )


def test_round_trip() -> None:
    cfg = _cfg()
    raw = cfg.to_dict()
    assert raw["model"]["kind"] == "lstm-peephole" and raw["window"]["strategy"] == "many-to-one"
    assert RunConfig.from_dict(raw) == cfg


@pytest.mark.parametrize(
    "section,key,value,match",
    [
        ("model", "kind", "transformer", "expected one of lstm, gru, rnn, lstm-peephole"),
        ("model", "layers", "2", "model.layers is '2'; expected int"),
        ("model", "layers", 99, "--layers must be 1 to 8"),
        ("train", "lr", -1.0, "--lr must be positive"),
        ("train", "refit", 1, "train.refit is 1; expected bool"),
        ("window", "lookback", None, None),
        ("data", "path", None, "data.path must not be null"),
    ],
)
def test_from_dict_validates(section: str, key: str, value: object, match: str | None) -> None:
    raw = _cfg().to_dict()
    raw[section][key] = value
    if match is None:
        assert RunConfig.from_dict(raw).window.lookback is None
        return
    with pytest.raises(RunError, match=match):
        RunConfig.from_dict(raw)


def test_unknown_setting_rejected() -> None:
    raw = _cfg().to_dict()
    raw["train"]["exec"] = "rm -rf /"
    with pytest.raises(RunError, match="unknown setting"):
        RunConfig.from_dict(raw)


@pytest.mark.parametrize(
    "build,match",
    [
        (lambda: ModelConfig(dropout=1.0), "--dropout"),
        (lambda: TrainConfig(epochs=0), "--epochs"),
        (lambda: WindowConfig(horizon=0), "--horizon"),
        (lambda: WindowConfig(test_size=-1), "--test-size"),
        (lambda: DataConfig(path="x", thousands=",,"), "--thousands"),
    ],
)
def test_ranges(build, match: str) -> None:
    with pytest.raises(UsageError, match=match):
        build()
