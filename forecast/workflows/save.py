"""How ``forecast train`` saves its run: the trained models' checks, config.json's metadata,
series.json, the weights with the calibration errors, and the tables and picture beside them.

``runs.run`` owns the format (``write``); this module assembles what goes in it.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecast import __version__
from forecast.core.choices import Deseason
from forecast.core.config import RunConfig
from forecast.core.errors import TrainingError
from forecast.data import dataset, output
from forecast.model import covariates
from forecast.model.transforms import SeriesTransform, fit_transform, transforms_to_dict
from forecast.runs import dirs, staging
from forecast.runs import run as runformat
from forecast.runs.plot import recent_history
from forecast.workflows.fitting import Fitted, covariates_of
from forecast.workflows.holdout import Scored

__all__ = ["Trained", "save", "MODEL", "FALLBACK"]

MODEL, FALLBACK = "model", "seasonal_naive"


@dataclass
class Trained:
    """Rank 0's models, hold-out scores and calibration errors, ready for ``save``."""

    fit1: Fitted  # the hold-out-phase models (scored)
    final: Fitted  # the refit models (``fit1`` itself without a refit)
    fitted_rows: np.ndarray  # rows per series (all of the Dataset's) the saved models have seen
    scored: Scored
    warnings: list[str]
    device: str
    processes: int
    parent: dict[str, Any] | None = None  # --init: the run the weights started from, and its lineage
    methods: np.ndarray | None = None  # each series' method (``workflows.choice``); None: model/fallback


def _check_finite(fit1: Fitted, final: Fitted, holdout: pd.DataFrame | None, net_ids: list[str]) -> None:
    """A model with non-finite weights, last loss or hold-out forecast is a failed training:
    it must never replace the last good run (TrainingError, nothing written)."""
    import torch

    advice = "lower --lr, keep --clip-grad on, or try --scaler window; the previous run is kept"
    for fitted in (fit1, final):
        losses = [row[3] for row in fitted.history]
        if not all(np.isfinite(v) for v in losses):
            raise TrainingError(f"training diverged: the loss is {losses[-1]}; {advice}")
        for model in fitted.models:
            for name, value in model.state_dict().items():
                if value.is_floating_point() and not bool(torch.isfinite(value).all()):
                    raise TrainingError(f"training diverged: weights {name} are not finite; {advice}")
    if holdout is not None:  # the network's own forecasts too, where the choice set them aside
        values = holdout["forecast"].to_numpy(dtype=np.float64)
        if "net" in holdout.columns:
            ours = (
                holdout["series"].isin(net_ids)
                if "series" in holdout.columns
                else np.full(len(values), bool(net_ids))
            )
            values = np.r_[values, holdout.loc[ours, "net"].to_numpy(dtype=np.float64)]
        if not np.isfinite(values).all():
            bad = int((~np.isfinite(values)).sum())
            raise TrainingError(
                f"training diverged: {bad} of {values.size} hold-out forecasts are not finite "
                f"(overflow in the model's scale); {advice}"
            )


def save(
    cfg: RunConfig, ds: dataset.Dataset, t: Trained, target: Path, runs_dir: Path, plot: bool
) -> tuple[Path, float]:
    """Write the run directory (staged, then swapped in) and point ``latest`` at it; return
    ``latest`` and the seconds training took."""
    import torch

    fit1, final, scored = t.fit1, t.final, t.scored
    _check_finite(fit1, final, scored.holdout, [str(ds.ids[k]) for k in fit1.index])  # before any write
    training = _training_meta(cfg, t)
    with staging.staged_run(target) as tmp:
        state = {f"{k}.{name}": v for k, m in enumerate(final.models) for name, v in m.state_dict().items()}
        state["calibration.errors"] = torch.from_numpy(scored.cal_errors[0])
        state["calibration.series"] = torch.from_numpy(fit1.index[scored.cal_errors[1]].astype(np.int64))
        runformat.write(
            tmp, cfg, _data_meta(ds, t.fitted_rows), training, _versions(), state,
            _series_meta(cfg, ds, final, t.methods), scored.scores, t.parent,
        )  # fmt: skip
        _write_tables(cfg, ds, t, tmp, plot)
    return dirs.update_latest(runs_dir, target), training["seconds"]


def _data_meta(ds: dataset.Dataset, fitted_rows: np.ndarray) -> dict[str, Any]:
    """config.json's ``data``: what was read, and how far the saved models have seen it."""
    until = ds.frame["ds"].to_numpy()[ds.indptr[:-1] + np.maximum(fitted_rows, 1) - 1]
    return {
        "sha256": ds.sha256,
        "series": len(ds.ids),
        "rows": len(ds.frame),
        "first_date": ds.dates.min().isoformat(),
        "last_date": ds.dates.max().isoformat(),
        "anchor": ds.anchor.isoformat(),
        # zone-aware dates: read as wall clock or UTC, and the offsets they carried
        "zone": ds.zone,
        "offsets": list(ds.offsets),
        "dayfirst": ds.dayfirst,  # nn/nn/yyyy dates read day first: predict reads newer rows alike
        # the saved models have seen data up to here (the hold-out cut with --no-refit);
        # predict needs data reaching at least this far
        "trained_until": pd.Timestamp(until.max()).isoformat(),
    }


def _training_meta(cfg: RunConfig, t: Trained) -> dict[str, Any]:
    """config.json's ``training``: where and how long it trained, and the epochs it chose."""
    fit1, final = t.fit1, t.final
    return {
        "device": t.device,
        "processes": t.processes,  # > 1: trained with torchrun (DistributedDataParallel)
        "ensemble": cfg.train.ensemble,
        "best_epochs": fit1.best_epochs,
        "epochs_run": fit1.epochs_run,
        "refit": final is not fit1,
        "seconds": round(fit1.seconds + (final.seconds if final is not fit1 else 0.0), 3),
    }


def _series_meta(
    cfg: RunConfig, ds: dataset.Dataset, final: Fitted, chosen: np.ndarray | None
) -> dict[str, Any]:
    """series.json: per series, its method (the network, a statistical one or the fallback),
    transform, covariate scales."""
    trained = final.index
    methods = np.full(len(ds.ids), FALLBACK, dtype=object)
    methods[trained] = MODEL
    if chosen is not None:
        methods = np.asarray(chosen, dtype=object)
    meta: dict[str, Any] = {
        "ids": [str(i) for i in ds.ids],
        "method": methods.tolist(),
        "network": np.isin(np.arange(len(ds.ids)), trained).tolist(),  # the network can forecast it
        "transform": transforms_to_dict(_all_transforms(cfg, final.transforms, trained, len(ds.ids))),
        "log_step": final.step,  # how negative-valued series were scaled: unseen ones are alike
    }
    if covariates_of(cfg):
        width = len(ds.covariate_cols)
        scales = [covariates.CovariateScale((0.0,) * width, (1.0,) * width)] * len(ds.ids)
        for sc, k in zip(final.scales, trained):
            scales[int(k)] = sc
        meta["covariate_scale"] = covariates.scales_to_dict(scales)
        seen = ds.covariates  # the range the saved models have seen, for predict's warnings
        meta["covariate_range"] = {"min": seen.min(axis=0).tolist(), "max": seen.max(axis=0).tolist()}
    return meta


def _write_tables(cfg: RunConfig, ds: dataset.Dataset, t: Trained, tmp: Path, plot: bool) -> None:
    """holdout.csv, metrics_by_series.csv (panels), history.csv and the hold-out picture."""
    w = cfg.window
    assert w.season and w.horizon
    holdout, by_series, fit1, final = t.scored.holdout, t.scored.by_series, t.fit1, t.final
    if holdout is not None:
        output.write_csv(holdout if ds.panel else holdout.drop(columns="series"), tmp / "holdout.csv")
    if by_series is not None and ds.panel:
        output.write_csv(by_series, tmp / "metrics_by_series.csv")
    history = pd.DataFrame(
        fit1.history + (final.history if final is not fit1 else []),
        columns=["phase", "member", "epoch", "loss", "val_loss"],
    )
    output.write_csv(
        history if cfg.train.ensemble > 1 else history.drop(columns="member"), tmp / "history.csv"
    )
    if plot and holdout is not None:
        from forecast.runs.plot import plot_series

        verdict = t.scored.scores.get("verdict", "")
        title = f"{cfg.model.kind.value.upper()} hold-out: {verdict}".replace("warning: ", "")
        plot_series(recent_history(ds, w.season, w.horizon), tmp / "forecast.png", title, holdout=holdout)


def _all_transforms(
    cfg: RunConfig, fitted: list[SeriesTransform], trained: np.ndarray, n: int
) -> list[SeriesTransform]:
    """One transform per series: the fitted ones, identity for the series the network does not
    forecast (all of them in a run without a network: ``workflows.train``'s statistical-only run)."""
    w = cfg.window
    assert w.season and w.lookback
    # the run's scaler: series.json records one for all series
    first = (
        fitted[0]
        if fitted
        else fit_transform(np.ones(2), np.arange(2), w.scaler, Deseason.off, w.season, w.lookback)[0]
    )
    identity = SeriesTransform(first.scaler, False, 0.0, 1.0, first.season, None, first.level_len)
    out = [identity] * n
    for t, k in zip(fitted, trained):
        out[int(k)] = t
    return out


def _versions() -> dict[str, str]:
    import torch

    return {
        "forecast": __version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "pandas": pd.__version__,
        "numpy": np.__version__,
    }
