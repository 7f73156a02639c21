"""The steps of ``forecast train``, in order (``workflows.predict`` predicts, ``workflows.inspect`` looks).

No formatting and no printing: results come back as dataclasses for the CLI to render,
progress goes out through callbacks. One series is a panel of one: every step works on
lists of series, and only the output columns differ (panels get a ``series`` column).
"""

from __future__ import annotations

import contextlib
import dataclasses
import platform
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecast import __version__
from forecast.core.config import RunConfig
from forecast.core.errors import DataError, RunError, TrainingError, UsageError
from forecast.data import dataset, output
from forecast.model import covariates, distributed, windows
from forecast.runs import run as runformat
from forecast.runs import store
from forecast.workflows.fitting import Fitted, covariates_of, fit_members, panel_of, resolve
from forecast.workflows.holdout import Scored, empty_interval_advice, score_holdout

if TYPE_CHECKING:  # torch stays unimported for validate, info and plot
    from forecast.model.loop import EpochInfo

__all__ = [
    "TrainOutcome",
    "train",
    "recent_history",
]

LEVELS = (80, 95)
MODEL, FALLBACK = "model", "seasonal_naive"


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
                store.check_latest(runs_dir)  # before hours of training, not after
                if out is not None and (
                    out.is_symlink() or out.absolute() == (runs_dir / "latest").absolute()
                ):
                    raise UsageError(f"--out {out}: is a symlink (runs/latest?); give a real directory")
                if out is not None:
                    store.check_target(out)  # before reading data and training, not after
                target = out or store.new_run_dir(runs_dir)  # a new name needs no lock
                if out is not None:
                    stack.enter_context(store.exclusive(target, wait, "training into this directory"))
            ds = dataset.read(cfg.data)
            cfg = resolve(cfg, ds)
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


def _unchanged(latest: Path, ds: dataset.Dataset, cfg: RunConfig) -> TrainOutcome | None:
    """The run at ``latest`` (--out, else runs/latest) when its data hash and settings equal these."""
    import json

    try:
        found = runformat.read(latest)
        scores = runformat.read_metrics(found.path)  # an altered run is no reason to skip training
    except RunError:
        return None
    settings = json.loads(json.dumps(cfg.to_dict()))
    if found.data["sha256"] != ds.sha256 or found.meta["settings"] != settings:
        return None
    training = found.training
    return TrainOutcome(
        run_dir=found.path,
        latest=latest,
        config=cfg,
        metrics=scores,
        holdout=None,
        best_epoch=int(np.median(training["best_epochs"] or [0])),
        epochs_run=int(training["epochs_run"]),
        seconds=0.0,
        warnings=[],
        skipped=True,
    )


@dataclass
class _Trained:
    """Rank 0's models, hold-out scores and calibration errors, ready for ``_save``."""

    fit1: Fitted  # the hold-out-phase models (scored)
    final: Fitted  # the refit models (``fit1`` itself without a refit)
    fitted_rows: np.ndarray  # rows per series (all of the Dataset's) the saved models have seen
    scored: Scored
    warnings: list[str]
    device: str
    processes: int


def _fit_and_score(
    ctx: distributed.Context,
    cfg: RunConfig,
    ds: dataset.Dataset,
    on_epoch: Callable[[str, EpochInfo], None] | None,
    levels: tuple[int, ...],
) -> _Trained | None:
    """Train before the hold-out, score it (rank 0), refit on everything; None off rank 0."""
    from forecast.model.loop import resolve_device

    w = cfg.window
    assert w.horizon and w.lookback and w.season and w.test_size is not None
    device = resolve_device(cfg.train.device)  # fail fast on --device cuda without a GPU
    panel = panel_of(cfg, ds)
    warnings = list(ds.warnings) + _input_warnings(cfg, panel.lengths)
    trained = panel.take(panel.lengths >= w.lookback + cfg.model.output_size)  # the rest: seasonal naive
    before = trained.take(trained.lengths > w.test_size)  # with values before the hold-out
    fit1 = fit_members(cfg, before.cut(w.test_size), "train", on_epoch, ctx=ctx)
    warnings += fit1.warnings
    scored = None
    with distributed.together(ctx):  # rank 0 alone scores; the others wait for the refit
        if ctx.main:
            scored = score_holdout(cfg, ds, fit1, before, levels)
    final, fitted_rows = fit1, panel.lengths - w.test_size
    if w.test_size and cfg.train.refit:
        final = fit_members(cfg, trained, "refit", on_epoch, fit1.best_epochs, ctx=ctx)
        warnings += [m for m in final.warnings if m not in warnings]
        fitted_rows = panel.lengths
    if scored is None:
        return None
    empty = [lv for lv, c in (scored.scores.get("holdout_coverage") or {}).items() if c is None]
    if empty and scored.holdout is not None:
        warnings.append(empty_interval_advice(cfg, [int(lv) for lv in empty], len(trained), trained.lengths))
    return _Trained(fit1, final, fitted_rows, scored, warnings, str(device), ctx.world)


def _input_warnings(cfg: RunConfig, lengths: np.ndarray) -> list[str]:
    """Series left to seasonal naive, and known-ahead values the hold-out's forecast pads."""
    w = cfg.window
    assert w.lookback and w.test_size is not None
    out_len, warnings = cfg.model.output_size, []
    short = lengths < w.lookback + out_len
    if short.any():
        warnings.append(
            f"{int(short.sum())} of {len(lengths)} series are shorter than lookback + horizon "
            f"= {w.lookback + out_len}: not trained on, forecast by seasonal naive"
        )
    padded = covariates.roll_extra(w.test_size, out_len) + out_len - w.test_size if w.test_size else 0
    if cfg.data.future_covariates and padded:
        warnings.append(
            f"the hold-out ({w.test_size} points) is not a whole number of the model's {out_len}-step "
            f"outputs: its forecast reads known-ahead values for {padded} date(s) past the data's end, "
            "filled with the last row (a --test-size that is a multiple of the horizon avoids it)"
        )
    return warnings


def _check_finite(fit1: Fitted, final: Fitted, holdout: pd.DataFrame | None) -> None:
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
    if holdout is not None:
        values = holdout["forecast"].to_numpy(dtype=np.float64)
        if not np.isfinite(values).all():
            bad = int((~np.isfinite(values)).sum())
            raise TrainingError(
                f"training diverged: {bad} of {values.size} hold-out forecasts are not finite "
                f"(overflow in the model's scale); {advice}"
            )


def _save(
    cfg: RunConfig, ds: dataset.Dataset, t: _Trained, target: Path, runs_dir: Path, plot: bool
) -> TrainOutcome:
    """Write the run directory (staged, then swapped in) and point ``latest`` at it."""
    import torch

    w = cfg.window
    assert w.season and w.horizon
    fit1, final, fitted_rows, trained = t.fit1, t.final, t.fitted_rows, t.final.index
    _check_finite(fit1, final, t.scored.holdout)  # before anything is written
    cal_errors, scores, holdout, by_series = (
        t.scored.cal_errors,
        t.scored.scores,
        t.scored.holdout,
        t.scored.by_series,
    )
    transforms = _all_transforms(final.transforms, trained, len(ds.ids))
    methods = np.full(len(ds.ids), FALLBACK, dtype=object)
    methods[trained] = MODEL
    until = ds.frame["ds"].to_numpy()[ds.indptr[:-1] + np.maximum(fitted_rows, 1) - 1]
    data = {
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
    training = {
        "device": t.device,
        "processes": t.processes,  # > 1: trained with torchrun (DistributedDataParallel)
        "ensemble": cfg.train.ensemble,
        "best_epochs": fit1.best_epochs,
        "epochs_run": fit1.epochs_run,
        "refit": final is not fit1,
        "seconds": round(fit1.seconds + (final.seconds if final is not fit1 else 0.0), 3),
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
        seen = ds.covariates  # the range the saved models have seen, for predict's warnings
        series_meta["covariate_range"] = {"min": seen.min(axis=0).tolist(), "max": seen.max(axis=0).tolist()}
    with store.staged_run(target) as tmp:
        state = {f"{k}.{name}": v for k, m in enumerate(final.models) for name, v in m.state_dict().items()}
        state["calibration.errors"] = torch.from_numpy(cal_errors[0])
        state["calibration.series"] = torch.from_numpy(fit1.index[cal_errors[1]].astype(np.int64))
        runformat.write(tmp, cfg, data, training, _versions(), state, series_meta, scores)
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
            from forecast.runs.plot import plot_series

            title = f"{cfg.model.kind.value.upper()} hold-out: {scores.get('verdict', '')}".replace(
                "warning: ", ""
            )
            plot_series(recent_history(ds, w.season, w.horizon), tmp / "forecast.png", title, holdout=holdout)
    latest = store.update_latest(runs_dir, target)
    return TrainOutcome(
        run_dir=target,
        latest=latest,
        config=cfg,
        metrics=scores,
        holdout=holdout,
        best_epoch=int(np.median(fit1.best_epochs)),
        epochs_run=fit1.epochs_run,
        seconds=training["seconds"],
        warnings=t.warnings,
    )


def recent_history(
    ds: dataset.Dataset, season: int, horizon: int, only: list[str] | None = None
) -> dict[str, pd.Series]:
    """The last ten seasons (at least six horizons) of each series, for pictures."""
    from forecast.runs.plot import MAX_PANELS

    keep = max(10 * season, 6 * horizon)
    out: dict[str, pd.Series] = {}
    for k, uid in enumerate(ds.ids):
        if (only and str(uid) not in only) or len(out) >= MAX_PANELS:
            continue
        rows = ds.rows(k)
        out[str(uid)] = pd.Series(ds.values[rows], index=ds.dates[rows]).iloc[-keep:]
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


def _versions() -> dict[str, str]:
    import torch

    return {
        "forecast": __version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "pandas": pd.__version__,
        "numpy": np.__version__,
    }
