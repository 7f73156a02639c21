"""The steps of each command, in order: ``train``, ``load_run``, ``predict``.

No formatting and no printing: results come back as dataclasses for the CLI to render,
progress goes out through callbacks.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import platform
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecast import __version__, artifacts, baselines, data, metrics, windows
from forecast.config import (
    SCHEMA_VERSION,
    RunConfig,
    Strategy,
)
from forecast.errors import DataError, RunError
from forecast.train import EpochInfo

__all__ = [
    "TrainOutcome",
    "LoadedRun",
    "PredictOutcome",
    "train",
    "load_run",
    "predict",
    "default_horizon",
    "default_lookback",
    "default_run_dir",
]

_HORIZON_NO_SEASON = 8


@dataclass
class TrainOutcome:
    """What ``train`` produced: where, the resolved settings, hold-out scores."""

    run_dir: Path
    latest: Path
    config: RunConfig
    metrics: dict[str, Any]
    holdout: pd.DataFrame | None
    best_epoch: int
    epochs_run: int
    seconds: float
    warnings: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str | None:
        return self.metrics.get("verdict")


@dataclass
class LoadedRun:
    """A validated run directory with its model ready to forecast."""

    path: Path
    config: RunConfig
    meta: dict[str, Any]
    transform: windows.SeriesTransform
    model: Any  # forecast.models.Forecaster


@dataclass
class PredictOutcome:
    """Forecast frame (``date``, ``forecast``) and where it was written."""

    frame: pd.DataFrame
    path: Path
    run_dir: Path
    warnings: list[str] = field(default_factory=list)


def default_horizon(season: int) -> int:
    """One seasonal period (12 for monthly), or 8 steps when there is no season."""
    return season if season > 1 else _HORIZON_NO_SEASON


def default_lookback(season: int, horizon: int) -> int:
    """Two seasonal periods (24 monthly, 14 daily, 8 quarterly), at least the horizon."""
    return max(2 * season, horizon) if season > 1 else 2 * horizon


def default_run_dir(runs_dir: Path) -> Path:
    """``runs/<UTC timestamp>``, with a suffix when that name is taken."""
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    candidate, k = runs_dir / stamp, 1
    while candidate.exists():
        k += 1
        candidate = runs_dir / f"{stamp}-{k}"
    return candidate


def _resolve(cfg: RunConfig, ds: data.Dataset) -> RunConfig:
    """Fill every setting left to its frequency-based default."""
    w = cfg.window
    season = w.season or ds.season
    horizon = w.horizon or default_horizon(season)
    lookback = w.lookback or default_lookback(season, horizon)
    test_size = horizon if w.test_size is None else w.test_size
    out_len = horizon if w.strategy is Strategy.many_to_many else 1
    window = dataclasses.replace(w, season=season, horizon=horizon, lookback=lookback, test_size=test_size)
    n_train = len(ds.frame) - test_size
    need = lookback + out_len + test_size
    if n_train < lookback + out_len:
        formula = "lookback + horizon" if out_len > 1 else "lookback + 1"
        raise DataError(
            f"{ds.path}: the series has {len(ds.frame)} rows; need at least {formula} + "
            f"test-size = {lookback} + {out_len} + {test_size} = {need}. "
            "Lower --lookback, --horizon or --test-size"
        )
    if w.val_size is None:
        window = dataclasses.replace(window, val_size=_default_val_size(n_train, lookback, out_len, horizon))
    model = dataclasses.replace(cfg.model, input_size=1, output_size=out_len)
    data_cfg = dataclasses.replace(cfg.data, date_col=ds.date_col, value_col=ds.value_col, freq=ds.freq)
    return RunConfig(data=data_cfg, window=window, model=model, train=cfg.train)


def _default_val_size(n_train: int, lookback: int, out_len: int, horizon: int) -> int:
    """Two horizons of validation targets when the series can spare them, else less or none."""
    for val in (2 * horizon, horizon, out_len):
        if val >= out_len and n_train - val - lookback - out_len + 1 >= max(8, val - out_len + 1):
            return val
    return 0


def train(
    cfg: RunConfig,
    out: Path | None = None,
    runs_dir: Path = Path("runs"),
    on_epoch: Callable[[str, EpochInfo], None] | None = None,
) -> TrainOutcome:
    """Read, window, train, score on the hold-out, refit on everything, save the run."""
    from forecast.train import resolve_device

    ds = data.read(cfg.data)
    cfg = _resolve(cfg, ds)
    w = cfg.window
    assert w.horizon and w.lookback and w.season and w.test_size is not None
    device = resolve_device(cfg.train.device)  # fail fast on --device cuda without a GPU
    y = ds.values
    warnings = list(ds.warnings)
    positions = np.arange(len(y))
    n_train = len(y) - w.test_size

    stage = "train"
    model, transform, result, tw = _fit_once(cfg, y[:n_train], positions[:n_train], stage, on_epoch)
    warnings += tw
    holdout_frame, scores = None, {"test_size": w.test_size}
    if w.test_size:
        holdout_frame, scores = _score_holdout(cfg, model, transform, y, ds, n_train)
    best_epoch, epochs_run, seconds = result.best_epoch, result.epochs_run, result.seconds
    history = [("train", *row) for row in result.history]
    refit_epochs, fitted_rows = None, n_train
    if w.test_size and cfg.train.refit:
        fitted_rows = len(y)
        refit_epochs = best_epoch
        model, transform, refit, tw = _fit_once(
            cfg, y, positions, "refit", on_epoch, epochs=refit_epochs, validate=False
        )
        warnings += [m for m in tw if m not in warnings]
        history += [("refit", *row) for row in refit.history]
        seconds += refit.seconds

    target = out or default_run_dir(runs_dir)
    meta = {
        "schema_version": SCHEMA_VERSION,
        "created_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "versions": _versions(),
        "settings": cfg.to_dict(),
        "data": {
            "path": str(Path(ds.path).resolve()),
            "sha256": ds.sha256,
            "date_col": ds.date_col,
            "value_col": ds.value_col,
            "freq": ds.freq,
            "season": w.season,
            "rows": len(y),
            "first_date": ds.dates[0].isoformat(),
            "last_date": ds.dates[-1].isoformat(),
            "anchor": ds.dates[0].isoformat(),
            # the saved model and transform have seen data up to here (the hold-out cut
            # with --no-refit); predict needs data reaching at least this far
            "trained_until": ds.dates[fitted_rows - 1].isoformat(),
        },
        "transform": transform.to_dict(),
        "training": {
            "device": str(device),
            "best_epoch": best_epoch,
            "epochs_run": epochs_run,
            "refit_epochs": refit_epochs,
            "seconds": round(seconds, 3),
        },
    }
    with artifacts.staged_run(target) as tmp:
        sha = artifacts.save_weights(model.state_dict(), tmp / artifacts.WEIGHTS)
        meta["weights"] = {"file": artifacts.WEIGHTS, "sha256": sha}
        artifacts.write_json(tmp / "metrics.json", scores)
        if holdout_frame is not None:
            data.write_csv(holdout_frame, tmp / "holdout.csv")
        hist = pd.DataFrame(history, columns=["phase", "epoch", "loss", "val_loss"])
        data.write_csv(hist, tmp / "history.csv")
        artifacts.write_json(tmp / artifacts.CONFIG, meta)
    latest = artifacts.update_latest(runs_dir, target)
    return TrainOutcome(
        run_dir=target,
        latest=latest,
        config=cfg,
        metrics=scores,
        holdout=holdout_frame,
        best_epoch=best_epoch,
        epochs_run=epochs_run,
        seconds=seconds,
        warnings=warnings,
    )


def _fit_once(
    cfg: RunConfig,
    y: np.ndarray,
    positions: np.ndarray,
    stage: str,
    on_epoch: Callable[[str, EpochInfo], None] | None,
    epochs: int | None = None,
    validate: bool = True,
) -> tuple[Any, windows.SeriesTransform, Any, list[str]]:
    """Fit a transform and a fresh model on ``y``; validation split only when ``validate``."""
    from forecast.models import build_model
    from forecast.train import fit, seed_everything

    w = cfg.window
    assert w.lookback and w.season
    transform, warnings = windows.fit_transform(y, positions, w.scaler, w.deseason, w.season, w.lookback)
    z = transform.forward(y, positions)
    out_len = cfg.model.output_size
    ws = windows.make(z, w.lookback, out_len, transform.level_len)
    val_size = (w.val_size or 0) if validate else 0
    train_idx, val_idx = windows.split_by_time(len(z), w.lookback + out_len, out_len, val_size)
    if validate and not len(val_idx):
        warnings.append("series too short for a validation split: trained all epochs, no early stopping")
    rng = seed_everything(cfg.train.seed)
    model = build_model(cfg.model)
    callback = (lambda info: on_epoch(stage, info)) if on_epoch else None
    result = fit(model, ws, train_idx, val_idx, cfg.train, rng, epochs=epochs, on_epoch=callback)
    return model, transform, result, warnings


def _score_holdout(
    cfg: RunConfig,
    model: Any,
    transform: windows.SeriesTransform,
    y: np.ndarray,
    ds: data.Dataset,
    n_train: int,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Forecast the held-out tail and score it against naive and seasonal naive."""
    from forecast.predict import forecast_values

    w = cfg.window
    assert w.lookback and w.season and w.test_size
    history, actual = y[:n_train], y[n_train:]
    fc = forecast_values(model, transform, history, 0, w.lookback, w.test_size)
    naive = baselines.naive(history, w.test_size)
    snaive = baselines.seasonal_naive(history, w.test_size, w.season)
    scores: dict[str, Any] = {"test_size": w.test_size}
    for name, f in (("model", fc), ("naive", naive), ("seasonal_naive", snaive)):
        scores[name] = metrics.evaluate(actual, f, history, w.season)
    scores["verdict"] = verdict(cfg.model.kind.value.upper(), scores)
    frame = pd.DataFrame(
        {
            "date": ds.dates[n_train:].strftime("%Y-%m-%d" if _daily(ds.dates) else "%Y-%m-%d %H:%M:%S"),
            "actual": actual,
            "forecast": fc,
            "naive": naive,
            "seasonal_naive": snaive,
        }
    )
    return frame, scores


def verdict(name: str, scores: dict[str, Any]) -> str:
    """One line: does the model beat seasonal naive (by MASE, or MAE when MASE is undefined)?"""
    key = (
        "mase"
        if np.isfinite(scores["model"]["mase"]) and np.isfinite(scores["seasonal_naive"]["mase"])
        else "mae"
    )
    model, base = scores["model"][key], scores["seasonal_naive"][key]
    label = key.upper()
    if base == 0:
        return f"warning: seasonal naive is exact on the hold-out ({label} 0); nothing to beat"
    gain = 100.0 * (1.0 - model / base)
    if model < base:
        return f"{name} beats seasonal naive by {gain:.0f}% {label} ({model:.3f} vs {base:.3f})"
    return (
        f"warning: {name} does not beat seasonal naive ({label} {model:.3f} vs {base:.3f}); "
        "the seasonal-naive forecast is the safer choice for this series"
    )


def _daily(dates: pd.DatetimeIndex) -> bool:
    return bool((dates == dates.normalize()).all())


def _versions() -> dict[str, str]:
    import torch

    return {
        "forecast": __version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "pandas": pd.__version__,
        "numpy": np.__version__,
    }


def load_run(run: Path) -> LoadedRun:
    """Validate a run directory and rebuild its model from config.json + safetensors."""
    from forecast.models import build_model

    path = artifacts.resolve_run(run)
    meta = artifacts.read_config(path)
    cfg = RunConfig.from_dict(meta["settings"])
    transform = windows.SeriesTransform.from_dict(meta["transform"])
    _check_data_meta(meta["data"], path)
    w = cfg.window
    if not (w.lookback and w.horizon and w.season):
        raise RunError(f"{path / artifacts.CONFIG}: lookback, horizon and season must be set")
    weights = meta["weights"]
    if not isinstance(weights.get("sha256"), str) or weights.get("file") != artifacts.WEIGHTS:
        raise RunError(f"{path / artifacts.CONFIG}: 'weights' must name {artifacts.WEIGHTS} and its sha256")
    state = artifacts.load_weights(path / artifacts.WEIGHTS, weights["sha256"])
    model = build_model(cfg.model)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0]
        raise RunError(f"{path}: weights do not fit the model in config.json ({first})") from None
    model.eval()
    return LoadedRun(path=path, config=cfg, meta=meta, transform=transform, model=model)


def _check_data_meta(section: dict[str, Any], path: Path) -> None:
    for key in ("path", "date_col", "value_col", "freq", "anchor", "trained_until"):
        if not isinstance(section.get(key), str):
            raise RunError(f"{path / artifacts.CONFIG}: data.{key} is missing or not text")
    for key in ("anchor", "trained_until"):
        try:
            pd.Timestamp(section[key])
        except ValueError:
            raise RunError(f"{path / artifacts.CONFIG}: data.{key} is not a date") from None


def predict(
    run: Path, horizon: int | None = None, data_path: str | None = None, out: Path | None = None
) -> PredictOutcome:
    """Forecast ``horizon`` steps after the last observation of the run's (or newer) data."""
    from forecast.predict import forecast_values

    loaded = load_run(run)
    meta, cfg = loaded.meta, loaded.config
    w = cfg.window
    assert w.lookback and w.horizon
    horizon = horizon or w.horizon
    source = data_path or meta["data"]["path"]
    # the run's columns and frequency: a file that differs fails with what differs
    ds = data.read(dataclasses.replace(cfg.data, path=source, freq=meta["data"]["freq"]))
    _check_compatible(ds, meta, w.lookback)
    first_pos = data.steps_between(pd.Timestamp(meta["data"]["anchor"]), ds.dates[0], ds.freq)
    values = forecast_values(loaded.model, loaded.transform, ds.values, first_pos, w.lookback, horizon)
    dates = data.future_dates(ds.dates[-1], ds.freq, horizon)
    fmt = "%Y-%m-%d" if _daily(ds.dates) else "%Y-%m-%d %H:%M:%S"
    frame = pd.DataFrame({"date": dates.strftime(fmt), "forecast": values})
    if not np.isfinite(values).all():
        raise RunError(
            f"{loaded.path}: the model produced non-finite forecasts for {source}; retrain on this data"
        )
    target = out or loaded.path / "forecast.csv"
    data.write_csv(frame, target)
    return PredictOutcome(frame=frame, path=Path(target), run_dir=loaded.path, warnings=ds.warnings)


def _check_compatible(ds: data.Dataset, meta: dict[str, Any], lookback: int) -> None:
    trained_last = pd.Timestamp(meta["data"]["trained_until"])
    if ds.dates[-1] < trained_last:
        raise DataError(
            f"{ds.path}: ends {ds.dates[-1].date()}, before the model's training data ends "
            f"({trained_last.date()}); predict from data at least as recent"
        )
    if len(ds.values) < lookback:
        raise DataError(f"{ds.path}: has {len(ds.values)} rows; the model needs the last {lookback}")
