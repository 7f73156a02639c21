"""The steps of ``forecast train``, in order (``forecasting`` predicts, ``inspection`` looks).

No formatting and no printing: results come back as dataclasses for the CLI to render,
progress goes out through callbacks. One series is a panel of one: every step works on
lists of series, and only the output columns differ (panels get a ``series`` column).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import platform
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecast import (
    __version__,
    artifacts,
    covariates,
    data,
    distributed,
    evaluation,
    intervals,
    output,
    validate,
    windows,
)
from forecast.config import SCHEMA_VERSION, RunConfig, Strategy
from forecast.errors import DataError, RunError, UsageError

if TYPE_CHECKING:  # torch stays unimported for validate, info and plot
    from forecast.train import EpochInfo

__all__ = [
    "TrainOutcome",
    "train",
    "default_horizon",
    "default_lookback",
    "default_run_dir",
    "recent_history",
]

_HORIZON_NO_SEASON = 8
LEVELS = (80, 95)
MODEL, FALLBACK = "model", "seasonal_naive"
CALENDAR_DEFAULT = (
    True  # calendar inputs unless --no-calendar: better on M3 (sMAPE 13.66 vs 13.97) and alcohol
)


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
    skipped: bool = False  # --if-changed found an identical newest run

    @property
    def verdict(self) -> str | None:
        return self.metrics.get("verdict")


def default_horizon(season: int) -> int:
    """One seasonal period (12 for monthly), or 8 steps when there is no season."""
    return season if season > 1 else _HORIZON_NO_SEASON


def default_lookback(season: int, horizon: int) -> int:
    """Two seasonal periods (24 monthly, 14 daily, 8 quarterly), at least the horizon."""
    return max(2 * season, horizon) if season > 1 else 2 * horizon


def default_run_dir(runs_dir: Path) -> Path:
    """``runs/<UTC timestamp>``, claimed by creating it (empty) so two runs never share it."""
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    artifacts.make_dirs(runs_dir)
    for k in range(1, 1000):
        candidate = runs_dir / (stamp if k == 1 else f"{stamp}-{k}")
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            continue
    raise RunError(f"{runs_dir}: cannot find a free run directory name for {stamp}")


def _lengths(ds: data.Dataset) -> np.ndarray:
    return np.diff(ds.indptr)


def _resolve(cfg: RunConfig, ds: data.Dataset) -> RunConfig:
    """Fill every setting left to its frequency-based default; check the data is long enough."""
    w = cfg.window
    season = w.season or ds.season
    horizon = w.horizon or default_horizon(season)
    lookback = w.lookback or default_lookback(season, horizon)
    test_size = horizon if w.test_size is None else w.test_size
    out_len = horizon if w.strategy is Strategy.many_to_many else 1
    window = dataclasses.replace(w, season=season, horizon=horizon, lookback=lookback, test_size=test_size)
    lengths = _lengths(ds)
    need = lookback + out_len + test_size
    if (lengths < need).all():
        formula = "lookback + horizon" if out_len > 1 else "lookback + 1"
        what = (
            f"the series has {lengths[0]} rows"
            if len(lengths) == 1
            else f"the longest series has {lengths.max()} rows"
        )
        raise DataError(
            f"{ds.path}: {what}; need at least {formula} + test-size = {lookback} + {out_len} + "
            f"{test_size} = {need}. Lower --lookback, --horizon or --test-size"
        )
    if w.val_size is None:
        typical = int(np.median(lengths[lengths >= need])) - test_size
        window = dataclasses.replace(
            window, val_size=_default_val_size(typical, lookback, out_len, horizon, len(lengths))
        )
    calendar = CALENDAR_DEFAULT if w.calendar is None else w.calendar
    calendar = calendar and season > 1
    window = dataclasses.replace(
        window,
        calendar=calendar,
        calendar_phase=validate.season_phase(ds.anchor, ds.freq, season) if calendar else None,
    )
    n_cov = len(cfg.data.covariates) + 2 * len(cfg.data.future_covariates)
    inputs = 1 + (windows.Calendar.FEATURES if calendar else 0) + n_cov
    model = dataclasses.replace(
        cfg.model, input_size=inputs, output_size=out_len, ahead_inputs=_ahead_inputs(cfg, out_len)
    )
    data_cfg = dataclasses.replace(
        cfg.data, path=str(Path(ds.path).resolve()), date_col=ds.date_col, freq=ds.freq, id_col=ds.id_col
    )
    if not ds.wide:
        data_cfg = dataclasses.replace(data_cfg, value_col=ds.value_col)
    return RunConfig(data=data_cfg, window=window, model=model, train=cfg.train)


def _ahead_inputs(cfg: RunConfig, out_len: int) -> int:
    """Known-ahead covariates read by the head as well (``models.Forecaster``): many-to-many only.

    Measured on a promotion-driven series (3 seeds, hold-out MASE): many-to-many 0.41 with
    the head's view vs 0.84 without; many-to-one 0.59 vs 0.38, since its last input step
    already holds the next date's value."""
    return len(cfg.data.future_covariates) if out_len > 1 else 0


def calendar_of(cfg: RunConfig) -> windows.Calendar | None:
    """The calendar inputs of a resolved config (None when off or for runs from before them)."""
    w = cfg.window
    if not w.calendar or not w.season:
        return None
    return windows.Calendar(w.season, w.calendar_phase or 0)


def covariates_of(cfg: RunConfig) -> covariates.Covariates | None:
    """The covariate inputs of a resolved config (None without covariates)."""
    d = cfg.data
    if not d.covariates and not d.future_covariates:
        return None
    return covariates.Covariates(len(d.covariates), len(d.future_covariates), cfg.model.output_size)


def exog_of(
    cfg: RunConfig,
    raw: list[np.ndarray] | None,
    observed: list[int],
    scales: list[covariates.CovariateScale],
    horizon: int,
) -> list[np.ndarray] | None:
    """Covariate features of each series: its history of ``observed[k]`` rows (``raw[k]`` may run
    further: known-ahead values) plus the rows a roll-forward of ``horizon`` steps reads."""
    spec = covariates_of(cfg)
    if spec is None or raw is None:
        return None
    extra = covariates.roll_extra(horizon, spec.lead)
    return [covariates.features(r, n, s, spec, extra) for r, n, s in zip(raw, observed, scales)]


def _default_val_size(n_train: int, lookback: int, out_len: int, horizon: int, n_series: int) -> int:
    """Two horizons of validation targets for one series (one per series in a panel), or none."""
    choices = (2 * horizon, horizon, out_len) if n_series == 1 else (horizon, out_len)
    for val in choices:
        if val >= out_len and n_train - val - lookback - out_len + 1 >= max(8, val - out_len + 1) / n_series:
            return val
    return 0


@dataclass
class _Fitted:
    models: list[Any]
    transforms: list[windows.SeriesTransform]
    best_epochs: list[int]
    epochs_run: int
    seconds: float
    history: list[tuple[str, int, int, float, float | None]]
    warnings: list[str]
    scales: list[covariates.CovariateScale] = field(default_factory=list)  # per series, with covariates


def _fit_members(
    cfg: RunConfig,
    series: list[np.ndarray],
    positions: list[np.ndarray],
    stage: str,
    on_epoch: Callable[[str, EpochInfo], None] | None,
    epochs: list[int] | None = None,
    ctx: distributed.Context = distributed.SINGLE,
    covs: list[np.ndarray] | None = None,
) -> _Fitted:
    """Fit the transforms, then one model per ensemble member (seed, seed + 1, ...).

    ``covs[k]`` holds the covariates of ``series[k]``'s rows when the config has any.
    Under torchrun every process fits every member together (DDP, same seeds)."""
    from forecast.models import build_model
    from forecast.train import fit, seed_everything

    w = cfg.window
    assert w.lookback and w.season
    transforms, warnings = windows.fit_transforms(
        series, positions, w.scaler, w.deseason, w.season, w.lookback
    )
    z = [t.forward(y, p) for t, y, p in zip(transforms, series, positions)]
    out_len = cfg.model.output_size
    spec = covariates_of(cfg)
    scales = covariates.fit_scales(covs) if spec and covs is not None else []
    exog = None
    if spec and covs is not None:
        exog = [covariates.features(c, len(c), sc, spec) for c, sc in zip(covs, scales)]
    ws = windows.make_panel(
        z, w.lookback, out_len, transforms[0].level_len, positions, calendar_of(cfg), exog
    )
    val_size = 0 if epochs else (w.val_size or 0)
    lengths = np.array([len(v) for v in series])
    train_idx, val_idx = windows.split_panel(lengths, w.lookback + out_len, out_len, val_size)
    if not epochs and not len(val_idx):
        warnings.append("too short for a validation split: trained all epochs, no early stopping")
    fitted = _Fitted([], transforms, [], 0, 0.0, [], warnings, scales)
    for k in range(cfg.train.ensemble):
        rng = seed_everything(cfg.train.seed + k)
        model = build_model(cfg.model)
        label = stage if cfg.train.ensemble == 1 else f"{stage} {k + 1}/{cfg.train.ensemble}"
        callback = (lambda info, label=label: on_epoch(label, info)) if on_epoch else None
        n_epochs = epochs[k] if epochs else None
        result = fit(
            model, ws, train_idx, val_idx, cfg.train, rng, epochs=n_epochs, on_epoch=callback, ctx=ctx
        )
        fitted.models.append(model)
        fitted.best_epochs.append(result.best_epoch)
        fitted.epochs_run = max(fitted.epochs_run, result.epochs_run)
        fitted.seconds += result.seconds
        fitted.history += [(stage, k, *row) for row in result.history]
    return fitted


def train(
    cfg: RunConfig,
    out: Path | None = None,
    runs_dir: Path = Path("runs"),
    on_epoch: Callable[[str, EpochInfo], None] | None = None,
    wait: float = 0.0,
    if_changed: bool = False,
    levels: tuple[int, ...] = LEVELS,
    plot: bool = True,
) -> TrainOutcome:
    """Read, window, train, score on the hold-out, refit on everything, save the run.

    An explicit ``out`` is locked for the whole run (``wait`` seconds for another holder);
    the default timestamped directory is new, so it needs no lock.
    With ``if_changed``, an identical newest run (same data SHA-256 and settings) is
    returned as it is, untrained.
    Under torchrun every process runs this and they train one model together (DDP); rank 0
    alone checks, locks and writes the run directory and scores the hold-out, and every
    process returns rank 0's outcome (the others without the hold-out frame).
    """
    with distributed.session(cfg.train.device) as ctx:
        outcome = _train(ctx, cfg, out, runs_dir, on_epoch, wait, if_changed, levels, plot)
        if not ctx.active:
            assert outcome is not None
            return outcome
        shared = distributed.from_main(dataclasses.replace(outcome, holdout=None) if outcome else None, ctx)
        assert shared is not None
        return outcome if outcome is not None else shared


def _train(
    ctx: distributed.Context,
    cfg: RunConfig,
    out: Path | None,
    runs_dir: Path,
    on_epoch: Callable[[str, EpochInfo], None] | None,
    wait: float,
    if_changed: bool,
    levels: tuple[int, ...],
    plot: bool,
) -> TrainOutcome | None:
    """``train`` in one process of ``ctx``; None on the processes other than rank 0."""
    target, same = None, None
    with contextlib.ExitStack() as stack:
        with distributed.together(ctx):  # rank 0 checks and claims the run; everyone reads the data
            if ctx.main:
                artifacts.check_latest(runs_dir)  # before hours of training, not after
                if out is not None and (
                    out.is_symlink() or out.absolute() == (runs_dir / "latest").absolute()
                ):
                    raise UsageError(f"--out {out}: is a symlink (runs/latest?); give a real directory")
                target = out or default_run_dir(runs_dir)
                if out is None:
                    stack.callback(_drop_if_empty, target)  # the claimed name of a run that did not happen
                else:
                    stack.enter_context(artifacts.exclusive(target, wait, "training into this directory"))
            ds = data.read(cfg.data)
            cfg = _resolve(cfg, ds)
            if ctx.main and if_changed:
                same = _unchanged(out or runs_dir / "latest", ds, cfg)
        sha256, skip = distributed.from_main((ds.sha256, same is not None), ctx)
        with distributed.together(ctx):
            if ds.sha256 != sha256:
                raise DataError(
                    f"{ds.path}: differs from rank 0's copy (SHA-256 {ds.sha256[:12]}... vs "
                    f"{sha256[:12]}...); every machine needs the same data file"
                )
        if skip:  # rank 0 found an identical newest run: nobody trains
            return same
        fitted = _fit_and_score(ctx, cfg, ds, on_epoch, levels)
        if fitted is None:
            with distributed.together(ctx):  # rank 0 writes the run; wait to hear how it went
                return None
        with distributed.together(ctx):
            assert target is not None
            return _save(cfg, ds, fitted, target, runs_dir, plot)


def _drop_if_empty(target: Path) -> None:
    if target.is_dir() and not any(target.iterdir()):
        target.rmdir()


def _unchanged(latest: Path, ds: data.Dataset, cfg: RunConfig) -> TrainOutcome | None:
    """The run at ``latest`` (--out, else runs/latest) when its data hash and settings equal these."""
    import json

    try:
        meta = artifacts.read_config(artifacts.resolve_run(latest))
    except RunError:
        return None
    settings = json.loads(json.dumps(cfg.to_dict()))
    if meta["data"].get("sha256") != ds.sha256 or meta["settings"] != settings:
        return None
    metrics_path = latest.resolve() / "metrics.json"
    scores = json.loads(metrics_path.read_text()) if metrics_path.is_file() else {}
    training = meta["training"]
    return TrainOutcome(
        run_dir=latest.resolve(),
        latest=latest,
        config=cfg,
        metrics=scores,
        holdout=None,
        best_epoch=int(np.median(training.get("best_epochs") or [0])),
        epochs_run=int(training.get("epochs_run", 0)),
        seconds=0.0,
        warnings=[],
        skipped=True,
    )


@dataclass
class _Trained:
    """Rank 0's models, hold-out scores and calibration errors, ready for ``_save``."""

    fit1: _Fitted  # the hold-out-phase models (scored)
    final: _Fitted  # the refit models (``fit1`` itself without a refit)
    trained: np.ndarray  # the series the model trained on
    fitted_rows: np.ndarray  # rows per series the saved models have seen
    cal_errors: tuple[np.ndarray, np.ndarray]
    scores: dict[str, Any]
    holdout: pd.DataFrame | None
    by_series: pd.DataFrame | None
    warnings: list[str]
    device: str
    processes: int


def _fit_and_score(
    ctx: distributed.Context,
    cfg: RunConfig,
    ds: data.Dataset,
    on_epoch: Callable[[str, EpochInfo], None] | None,
    levels: tuple[int, ...],
) -> _Trained | None:
    """Train before the hold-out, score it (rank 0), refit on everything; None off rank 0."""
    from forecast.train import resolve_device

    w = cfg.window
    assert w.horizon and w.lookback and w.season and w.test_size is not None
    device = resolve_device(cfg.train.device)  # fail fast on --device cuda without a GPU
    lengths = _lengths(ds)
    out_len = cfg.model.output_size
    series = [ds.values[ds.rows(k)] for k in range(len(ds.ids))]
    positions = [ds.positions[ds.rows(k)] for k in range(len(ds.ids))]
    covs = _covariates(cfg, ds)
    warnings = list(ds.warnings)
    short = lengths < w.lookback + out_len
    if short.any():
        warnings.append(
            f"{int(short.sum())} of {len(lengths)} series are shorter than lookback + horizon "
            f"= {w.lookback + out_len}: not trained on, forecast by seasonal naive"
        )
    trained = np.flatnonzero(~short)  # every window of these trains the model (after the hold-out)
    cut = [series[k][: len(series[k]) - w.test_size] for k in trained]
    fit1 = _fit_members(
        cfg,
        cut,
        [positions[k][: len(cut[i])] for i, k in enumerate(trained)],
        "train",
        on_epoch,
        ctx=ctx,
        covs=None if covs is None else [covs[k][: len(cut[i])] for i, k in enumerate(trained)],
    )
    warnings += fit1.warnings
    scored = None
    with distributed.together(ctx):  # rank 0 alone scores; the others wait for the refit
        if ctx.main:
            scored = _score_holdout(cfg, ds, fit1, trained, cut, series, positions, levels, covs)
    final, fitted_rows = fit1, lengths - w.test_size
    if w.test_size and cfg.train.refit:
        final = _fit_members(
            cfg,
            [series[k] for k in trained],
            [positions[k] for k in trained],
            "refit",
            on_epoch,
            fit1.best_epochs,
            ctx=ctx,
            covs=None if covs is None else [covs[k] for k in trained],
        )
        warnings += [m for m in final.warnings if m not in warnings]
        fitted_rows = lengths
    if scored is None:
        return None
    cal_errors, scores, holdout, by_series = scored
    return _Trained(
        fit1,
        final,
        trained,
        fitted_rows,
        cal_errors,
        scores,
        holdout,
        by_series,
        warnings,
        str(device),
        ctx.world,
    )


def _score_holdout(
    cfg: RunConfig,
    ds: data.Dataset,
    fit1: _Fitted,
    trained: np.ndarray,
    cut: list[np.ndarray],
    series: list[np.ndarray],
    positions: list[np.ndarray],
    levels: tuple[int, ...],
    covs: list[np.ndarray] | None,
) -> tuple[tuple[np.ndarray, np.ndarray], dict[str, Any], pd.DataFrame | None, pd.DataFrame | None]:
    """Calibration errors for predict, hold-out scores, the hold-out frame and per-series scores."""
    from forecast.predict import forecast_panel

    w = cfg.window
    assert w.lookback and w.season and w.test_size is not None
    own = None if covs is None else [covs[k] for k in trained]
    hold_errors, cal_errors = _calibrate(
        cfg, fit1, cut, [series[k] for k in trained], [positions[k] for k in trained], own
    )
    scored = [i for i, c in enumerate(cut) if len(c) >= w.lookback]  # enough history to forecast
    scores: dict[str, Any] = {"test_size": w.test_size, "series": len(ds.ids), "scored_series": len(scored)}
    holdout, by_series = None, None
    if w.test_size:
        firsts = [int(positions[trained[i]][0]) for i in scored]
        history = [cut[i] for i in scored]
        offsets = intervals.bounds(*hold_errors, scored, levels, w.test_size)
        fc, bands = forecast_panel(
            fit1.models,
            [fit1.transforms[i] for i in scored],
            history,
            firsts,
            w.lookback,
            w.test_size,
            offsets,
            calendar_of(cfg),
            exog_of(
                cfg,
                None if own is None else [own[i] for i in scored],
                [len(h) for h in history],
                [fit1.scales[i] for i in scored] if fit1.scales else [],
                w.test_size,
            ),
        )
        actuals = [series[trained[i]][-w.test_size :] for i in scored]
        ids = [str(ds.ids[trained[i]]) for i in scored]
        by_series, agg, base = evaluation.score(ids, history, actuals, fc, w.season)
        scores.update(agg)
        scores["verdict"] = evaluation.verdict(cfg.model.kind.value.upper(), scores, len(scored))
        holdout = _holdout_frame(ds, trained[scored], w.test_size, actuals, fc, base)
        for b, col in enumerate(intervals.level_columns(levels)):
            holdout.insert(4 + b, col, bands[:, b].ravel() if bands is not None else np.nan)
        scores["holdout_coverage"] = _coverage(holdout, levels)
    return cal_errors, scores, holdout, by_series


def _save(
    cfg: RunConfig, ds: data.Dataset, t: _Trained, target: Path, runs_dir: Path, plot: bool
) -> TrainOutcome:
    """Write the run directory (staged, then swapped in) and point ``latest`` at it."""
    import torch

    w = cfg.window
    assert w.season and w.horizon
    fit1, final, trained, fitted_rows = t.fit1, t.final, t.trained, t.fitted_rows
    cal_errors, scores, holdout, by_series = t.cal_errors, t.scores, t.holdout, t.by_series
    transforms = _all_transforms(final.transforms, trained, len(ds.ids))
    methods = np.full(len(ds.ids), FALLBACK, dtype=object)
    methods[trained] = MODEL
    until = ds.frame["ds"].to_numpy()[ds.indptr[:-1] + np.maximum(fitted_rows, 1) - 1]
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
            "id_col": ds.id_col,
            "wide": ds.wide,
            "freq": ds.freq,
            "season": w.season,
            "series": len(ds.ids),
            "rows": len(ds.frame),
            "first_date": ds.dates.min().isoformat(),
            "last_date": ds.dates.max().isoformat(),
            "anchor": ds.anchor.isoformat(),
            # the saved models have seen data up to here (the hold-out cut with --no-refit);
            # predict needs data reaching at least this far
            "trained_until": pd.Timestamp(until.max()).isoformat(),
        },
        "training": {
            "device": t.device,
            "processes": t.processes,  # > 1: trained with torchrun (DistributedDataParallel)
            "ensemble": cfg.train.ensemble,
            "best_epochs": fit1.best_epochs,
            "epochs_run": fit1.epochs_run,
            "refit": final is not fit1,
            "seconds": round(fit1.seconds + (final.seconds if final is not fit1 else 0.0), 3),
        },
    }
    series_meta = {
        "ids": [str(i) for i in ds.ids],
        "method": methods.tolist(),
        "transform": windows.transforms_to_dict(transforms),
    }
    if covariates_of(cfg):
        width = len(ds.covariate_cols)
        scales = [covariates.CovariateScale((0.0,) * width, (1.0,) * width)] * len(ds.ids)
        for sc, k in zip(final.scales, trained):
            scales[int(k)] = sc
        series_meta["covariate_scale"] = covariates.scales_to_dict(scales)
    with artifacts.staged_run(target) as tmp:
        state = {f"{k}.{name}": v for k, m in enumerate(final.models) for name, v in m.state_dict().items()}
        state["calibration.errors"] = torch.from_numpy(cal_errors[0])
        state["calibration.series"] = torch.from_numpy(trained[cal_errors[1]].astype(np.int64))
        meta["weights"] = {
            "file": artifacts.WEIGHTS,
            "sha256": artifacts.save_weights(state, tmp / artifacts.WEIGHTS),
        }
        artifacts.write_json(tmp / artifacts.SERIES, series_meta)
        meta["series_sha256"] = artifacts.sha256_file(tmp / artifacts.SERIES)
        artifacts.write_json(tmp / "metrics.json", scores)
        if holdout is not None:
            output.write_csv(holdout if ds.panel else holdout.drop(columns="series"), tmp / "holdout.csv")
        if by_series is not None and ds.panel:
            output.write_csv(by_series, tmp / "metrics_by_series.csv")
        history = pd.DataFrame(fit1.history + (final.history if final is not fit1 else []))
        history.columns = ["phase", "member", "epoch", "loss", "val_loss"]
        output.write_csv(
            history if cfg.train.ensemble > 1 else history.drop(columns="member"), tmp / "history.csv"
        )
        if plot and holdout is not None:
            from forecast.plot import plot_series

            title = f"{cfg.model.kind.value.upper()} hold-out: {scores.get('verdict', '')}".replace(
                "warning: ", ""
            )
            plot_series(recent_history(ds, w.season, w.horizon), tmp / "forecast.png", title, holdout=holdout)
        artifacts.write_json(tmp / artifacts.CONFIG, meta)
    latest = artifacts.update_latest(runs_dir, target)
    return TrainOutcome(
        run_dir=target,
        latest=latest,
        config=cfg,
        metrics=scores,
        holdout=holdout,
        best_epoch=int(np.median(fit1.best_epochs)),
        epochs_run=fit1.epochs_run,
        seconds=meta["training"]["seconds"],
        warnings=t.warnings,
    )


def recent_history(
    ds: data.Dataset, season: int, horizon: int, only: list[str] | None = None
) -> dict[str, pd.Series]:
    """The last ten seasons (at least six horizons) of each series, for pictures."""
    from forecast.plot import MAX_PANELS

    keep = max(10 * season, 6 * horizon)
    out: dict[str, pd.Series] = {}
    for k, uid in enumerate(ds.ids):
        if (only and str(uid) not in only) or len(out) >= MAX_PANELS:
            continue
        rows = ds.rows(k)
        out[str(uid)] = pd.Series(ds.values[rows], index=ds.dates[rows]).iloc[-keep:]
    return out


def _calibrate(
    cfg: RunConfig,
    fit: _Fitted,
    cut: list[np.ndarray],
    full: list[np.ndarray],
    positions: list[np.ndarray],
    covs: list[np.ndarray] | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Out-of-sample model-space errors of the hold-out-phase models.

    First: from the validation origins with targets cut at the hold-out (to calibrate the
    hold-out's own intervals honestly). Second: from the validation origins and the hold-out
    origin with every target there is (saved for predict). ``covs[k]`` holds series k's
    covariates over at least ``full[k]``'s rows.
    """
    w = cfg.window
    assert w.lookback and w.horizon
    val = w.val_size or 0
    z_cut = [t.forward(c, p[: len(c)]) for t, c, p in zip(fit.transforms, cut, positions)]
    z_full = [t.forward(y, p) for t, y, p in zip(fit.transforms, full, positions)]
    origins = [(i, t) for i, c in enumerate(cut) for t in range(max(len(c) - val, 0), len(c))] if val else []
    level_len = fit.transforms[0].level_len
    firsts = [int(p[0]) if len(p) else 0 for p in positions]
    args = (w.lookback, level_len, w.horizon, firsts, calendar_of(cfg))
    spec = covariates_of(cfg)
    past = spec.past if spec else 0
    ex_cut = exog_of(cfg, covs, [len(c) for c in cut], fit.scales, w.horizon)
    ex_full = exog_of(cfg, covs, [len(y) for y in full], fit.scales, w.horizon)
    held = intervals.calibration_errors(fit.models, z_cut, origins, *args, ex_cut, past)
    if w.test_size:
        origins = origins + [(i, len(c)) for i, c in enumerate(cut)]
    return held, intervals.calibration_errors(fit.models, z_full, origins, *args, ex_full, past)


def _covariates(cfg: RunConfig, ds: data.Dataset) -> list[np.ndarray] | None:
    """Each series' covariates (rows, covariates), or None when the config names none."""
    if covariates_of(cfg) is None:
        return None
    values = ds.covariates
    return [values[ds.rows(k)] for k in range(len(ds.ids))]


def _coverage(frame: pd.DataFrame, levels: tuple[int, ...]) -> dict[str, float | None]:
    """Share of actuals inside each interval (None where there are no intervals)."""
    out: dict[str, float | None] = {}
    for lv in levels:
        lo, hi = frame[f"lo-{lv}"].to_numpy(), frame[f"hi-{lv}"].to_numpy()
        ok = np.isfinite(lo) & np.isfinite(hi)
        inside = (frame["actual"].to_numpy() >= lo) & (frame["actual"].to_numpy() <= hi)
        out[str(lv)] = float(inside[ok].mean()) if ok.any() else None
    return out


def _all_transforms(
    fitted: list[windows.SeriesTransform], trained: np.ndarray, n: int
) -> list[windows.SeriesTransform]:
    """One transform per series: the fitted ones, identity for the seasonal-naive series."""
    identity = windows.SeriesTransform("none", False, 0.0, 1.0, fitted[0].season, None, fitted[0].level_len)
    out = [identity] * n
    for t, k in zip(fitted, trained):
        out[int(k)] = t
    return out


def _holdout_frame(
    ds: data.Dataset,
    trained: np.ndarray,
    test_size: int,
    actuals: list[np.ndarray],
    fc: np.ndarray,
    base: list[dict[str, np.ndarray]],
) -> pd.DataFrame:
    """Rows series,date,actual,forecast,<baselines>: the last ``test_size`` dates of each series."""
    ends = ds.indptr[np.asarray(trained, dtype=np.int64) + 1]
    rows = (ends[:, None] - test_size + np.arange(test_size)).ravel()
    grid = pd.date_range(ds.anchor, periods=int(ds.positions[rows].max()) + 1, freq=ds.freq)
    return pd.DataFrame(
        {
            "series": np.repeat(np.asarray([str(ds.ids[k]) for k in trained], dtype=object), test_size),
            "date": _date_text(grid[ds.positions[rows]]),
            "actual": np.concatenate(actuals) if actuals else np.empty(0),
            "forecast": np.asarray(fc).ravel(),
            **{name: np.concatenate([b[name] for b in base]) for name in evaluation.BASELINES},
        }
    )


def _date_format(dates: pd.DatetimeIndex) -> str:
    """Dates alone where every one is midnight, else dates with the time."""
    return "%Y-%m-%d" if bool((dates == dates.normalize()).all()) else "%Y-%m-%d %H:%M:%S"


def _date_text(dates: pd.DatetimeIndex, fmt: str | None = None) -> pd.Index:
    """Dates as text in ``fmt``, by default the format these dates need (see ``_date_format``)."""
    return dates.strftime(fmt or _date_format(dates))


def _versions() -> dict[str, str]:
    import torch

    return {
        "forecast": __version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "pandas": pd.__version__,
        "numpy": np.__version__,
    }
