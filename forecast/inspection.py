"""Look at data and runs without training: ``check`` (validate), ``info`` and ``plot_run``.

None of these import torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from forecast import artifacts, data, validate
from forecast.config import RunConfig, Strategy
from forecast.errors import DataError, RunError
from forecast.fitting import default_horizon, default_lookback, resolve
from forecast.pipeline import recent_history

__all__ = ["Validation", "check", "info", "plot_run"]


def plot_run(
    run: Path, out: Path | None = None, only: list[str] | None = None, data_path: str | None = None
) -> Path:
    """Picture of a run: recent history, hold-out actuals and forecast, and forecast.csv if any."""
    from forecast.plot import plot_series

    path = artifacts.resolve_run(run)
    meta = artifacts.read_config(path)
    cfg = RunConfig.from_dict(meta["settings"])
    w = cfg.window
    assert w.season and w.horizon
    source = data_path or meta["data"]["path"]
    from forecast.forecasting import read_like_training

    ds = read_like_training(cfg, meta["data"], source)
    if only:
        missing = sorted(set(only) - set(map(str, ds.ids)))
        if missing:
            raise DataError(f"{source}: no series {missing} (--series)")
    frames = {}
    for name in ("holdout", "forecast"):
        f = path / f"{name}.csv"
        frames[name] = pd.read_csv(f, dtype={"series": str}) if f.is_file() else None
    if frames["holdout"] is None and frames["forecast"] is None:
        raise RunError(
            f"{path}: has neither holdout.csv nor forecast.csv to draw; run forecast predict first"
        )
    title = f"{cfg.model.kind.value.upper()} run {path.name}"
    target = out or path / "forecast.png"
    history = recent_history(ds, w.season, w.horizon, only)
    return plot_series(history, target, title, holdout=frames["holdout"], future=frames["forecast"])


@dataclass
class Validation:
    """What ``forecast validate`` reports: per-series facts and the first blocking problem."""

    path: str
    freq: str
    need: int  # rows a series needs: lookback + horizon (+ test size where no series has that)
    series: pd.DataFrame
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None


def check(cfg: RunConfig) -> Validation:
    """Run the loader's checks without training; facts per series even when one fails."""
    rows = data.read_rows(cfg.data)
    frame = rows.frame
    freq = cfg.data.freq
    if freq is None:
        sizes = frame.groupby("unique_id", sort=False).size()
        longest = frame.loc[frame["unique_id"] == sizes.idxmax(), "ds"]
        with data.month_first_hint(rows, cfg.data):
            freq = validate.infer_freq(
                pd.DatetimeIndex(longest.drop_duplicates().sort_values()), cfg.data.path
            )
    freq = validate.anchored_freq(freq, frame["ds"].min())  # --freq M: month start or end, as the data
    w = cfg.window
    season = w.season or validate.season_length(freq)
    horizon = w.horizon or default_horizon(season)
    lookback = w.lookback or default_lookback(season, horizon)
    out_len = horizon if w.strategy is Strategy.many_to_many else 1
    need = lookback + out_len  # panels: shorter series get the seasonal-naive fallback
    test_size = horizon if w.test_size is None else w.test_size
    table = validate.describe(frame, freq, need)
    span = table["rows"] - table["duplicate_dates"] + table["gaps"]
    if not (cfg.data.id_col or cfg.data.wide) or (span < need + test_size).all():
        # one series, or a panel without any series long enough to train on before its
        # hold-out: every series needs the hold-out on top, as train says
        need += test_size
        table["too_short"] = span < need
    error = None
    try:
        resolve(cfg, data.read(cfg.data))  # exactly what train runs
    except DataError as exc:
        error = str(exc)
    return Validation(cfg.data.path, freq, need, table, error)


def info(run: Path) -> dict[str, Any]:
    """The model card of a run: data, settings, training, hold-out scores, versions."""
    import json

    path = artifacts.resolve_run(run)
    meta = artifacts.read_config(path)
    RunConfig.from_dict(meta["settings"])  # validated like predict would
    metrics_path = path / "metrics.json"
    try:
        scores = json.loads(metrics_path.read_text(encoding="utf-8")) if metrics_path.is_file() else {}
    except (OSError, ValueError) as exc:
        raise RunError(f"{metrics_path}: unreadable ({exc})") from None
    return {
        "run_dir": str(path),
        "created_utc": meta.get("created_utc"),
        "data": meta["data"],
        "settings": meta["settings"],
        "training": meta["training"],
        "holdout": scores,
        "versions": meta.get("versions", {}),
    }
