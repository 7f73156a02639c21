"""The steps of ``forecast train``, in order (``workflows.predict`` predicts, ``workflows.inspect`` looks).

No formatting and no printing: results come back as dataclasses for the CLI to render,
progress goes out through callbacks. One series is a panel of one: every step works on
lists of series, and only the output columns differ (panels get a ``series`` column).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecast.core.choices import LABELS, Schedule
from forecast.core.config import RunConfig
from forecast.core.errors import DataError, RunError, UsageError
from forecast.data import dataset
from forecast.data.panel import Panel
from forecast.model import covariates, distributed
from forecast.runs import dirs, locks
from forecast.runs import run as runformat
from forecast.workflows.choice import without_network
from forecast.workflows.fitting import WARM_SHARE, Fitted, fit_members, panel_of, resolve
from forecast.workflows.holdout import empty_interval_advice, score_holdout
from forecast.workflows.save import FALLBACK, MODEL, Trained, save
from forecast.workflows.warm import Parent, check_fits, load_parent, seen_holdout, starting_point

if TYPE_CHECKING:  # torch stays unimported for validate, info and plot
    from forecast.model.loop import EpochInfo

__all__ = ["TrainOutcome", "train", "LEVELS", "MODEL", "FALLBACK"]

LEVELS = (80, 95)


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
                dirs.check_latest(runs_dir)  # before hours of training, not after
                if out is not None and (
                    out.is_symlink() or out.absolute() == (runs_dir / "latest").absolute()
                ):
                    raise UsageError(f"--out {out}: is a symlink (runs/latest?); give a real directory")
                if out is not None:
                    dirs.check_target(out)  # before reading data and training, not after
                target = out or dirs.new_run_dir(runs_dir)  # a new name needs no lock
                if out is not None:
                    stack.enter_context(locks.exclusive(target, wait, "training into this directory"))
            parent = load_parent(cfg.train.init) if cfg.train.init else None  # verified like any run
            ds = dataset.read(cfg.data)
            cfg = resolve(cfg, ds, parent.config if parent else None)
            if parent:
                check_fits(cfg, parent)
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
        fitted = _fit_and_score(ctx, cfg, ds, on_epoch, levels, parent)
        if fitted is None:
            with distributed.together(ctx):  # rank 0 writes the run; wait to hear how it went
                return None
        with distributed.together(ctx):
            assert target is not None
            latest, seconds = save(cfg, ds, fitted, target, runs_dir, plot)
            return TrainOutcome(
                run_dir=target,
                latest=latest,
                config=cfg,
                metrics=fitted.scored.scores,
                holdout=fitted.scored.holdout,
                best_epoch=int(np.median(fitted.fit1.best_epochs)),
                epochs_run=fitted.fit1.epochs_run,
                seconds=seconds,
                warnings=fitted.warnings,
            )


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


def _fit_and_score(
    ctx: distributed.Context,
    cfg: RunConfig,
    ds: dataset.Dataset,
    on_epoch: Callable[[str, EpochInfo], None] | None,
    levels: tuple[int, ...],
    parent: Parent | None = None,
) -> Trained | None:
    """Train before the hold-out, score it (rank 0), refit on everything; None off rank 0.
    With a ``parent`` (--init) both start from its weights (``workflows.warm``)."""
    from forecast.model.loop import resolve_device

    w = cfg.window
    assert w.horizon and w.lookback and w.season and w.test_size is not None
    device = resolve_device(cfg.train.device)  # fail fast on --device cuda without a GPU
    panel = panel_of(cfg, ds)
    warnings = list(ds.warnings) + _input_warnings(cfg, panel.lengths)
    long = panel.lengths >= w.lookback + cfg.model.output_size
    if not (panel.lengths - w.test_size >= w.lookback + cfg.model.output_size).any():
        long[:] = False  # no training window before the hold-out: no network (resolve allows it)
    trained, short = panel.take(long), panel.take(~long)  # short: a statistical method or seasonal naive
    before = trained.take(trained.lengths > w.test_size)  # with values before the hold-out
    start = starting_point(cfg, parent) if parent else None
    if len(before.index):
        fit1 = fit_members(cfg, before.cut(w.test_size), "train", on_epoch, ctx=ctx, warm=start)
    else:  # every series too short for the network: the statistical candidates alone (resolve)
        fit1 = _no_network(cfg)
    warnings += fit1.warnings
    scored, seen = None, (0, 0, None)
    with distributed.together(ctx):  # rank 0 alone scores; the others wait for the refit
        if ctx.main:
            scored = score_holdout(cfg, ds, fit1, before, levels, short)
            seen = seen_holdout(parent, ds, w.test_size) if parent else seen
    final, fitted_rows = fit1, panel.lengths - w.test_size
    if w.test_size and cfg.train.refit and len(before.index):
        final = _refit(cfg, trained, fit1, on_epoch, ctx, start)
        warnings += [m for m in final.warnings if m not in warnings]
        fitted_rows = panel.lengths
    if scored is None:
        return None
    if seen[2]:
        warnings.append(seen[2])
        scored.scores["holdout_seen_by_parent"] = round(seen[0] / seen[1], 4)
    empty = [lv for lv, c in (scored.scores.get("holdout_coverage") or {}).items() if c is None]
    if empty and scored.holdout is not None and len(before.index):  # the network's calibration
        warnings.append(empty_interval_advice(cfg, [int(lv) for lv in empty], len(before), before.lengths))
    record = parent.record if parent else None
    methods = np.full(len(ds.ids), MODEL, dtype=object)
    methods[before.index] = scored.methods  # chosen on validation and hold-out
    methods[short.index] = without_network(cfg, short)
    return Trained(fit1, final, fitted_rows, scored, warnings, str(device), ctx.world, record, methods)


def _refit(
    cfg: RunConfig,
    trained: Panel,
    fit1: Fitted,
    on_epoch: Callable[[str, EpochInfo], None] | None,
    ctx: distributed.Context,
    start: Fitted | None = None,
) -> Fitted:
    """The saved models, fitted on every value: ``plateau`` trains new ones for each member's
    best epoch count (from the parent's weights, ``start``, with --init); ``onecycle`` continues
    from the scored models for 30% of the budget (``WARM_SHARE``, at least one epoch) at half
    the peak learning rate (``loop.WARM_LR``)."""
    if cfg.train.schedule is not Schedule.onecycle:
        return fit_members(cfg, trained, "refit", on_epoch, fit1.best_epochs, ctx=ctx, warm=start)
    epochs = max(1, round(WARM_SHARE * cfg.train.budget))
    # the continuation keeps the batch it was trained with (M3 quarterly, 3 seeds: sMAPE 9.01 vs
    # 9.08 with the refit's own, twice as large automatic batch)
    same = dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, batch_size=fit1.batch_size or None))
    return fit_members(same, trained, "refit", on_epoch, [epochs] * len(fit1.models), ctx=ctx, warm=fit1)


def _no_network(cfg: RunConfig) -> Fitted:
    """A run whose every series is too short for the network: untrained members (the run
    format keeps one network), forecasting nothing; the statistical candidates forecast all."""
    from forecast.model.loop import seed_everything
    from forecast.model.networks import build_model

    models = []
    for k in range(cfg.train.ensemble):
        seed_everything(cfg.train.seed + k)
        models.append(build_model(cfg.model))
    return Fitted(models, [], [0] * len(models), 0, 0.0, [], [], np.empty(0, dtype=np.int64))


def _input_warnings(cfg: RunConfig, lengths: np.ndarray) -> list[str]:
    """Series left to seasonal naive, and known-ahead values the hold-out's forecast pads."""
    w = cfg.window
    assert w.lookback and w.test_size is not None
    out_len, warnings = cfg.model.output_size, []
    short = lengths < w.lookback + out_len
    if short.any():
        warnings.append(
            f"{int(short.sum())} of {len(lengths)} series are shorter than lookback + horizon "
            f"= {w.lookback + out_len}: not trained on, forecast by {_without(cfg)}"
        )
    padded = covariates.rolled_steps(w.test_size, out_len) - w.test_size if w.test_size else 0
    if cfg.data.future_covariates and padded:
        warnings.append(
            f"the hold-out ({w.test_size} points) is not a whole number of the model's {out_len}-step "
            f"outputs: its forecast reads known-ahead values for {padded} date(s) past the data's end, "
            "filled with the last row (a --test-size that is a multiple of the horizon avoids it)"
        )
    return warnings


def _without(cfg: RunConfig) -> str:
    """What forecasts the series the network cannot: the statistical candidates, else seasonal naive."""
    names = [LABELS[n] for n in cfg.train.candidates if n != MODEL]
    return " or ".join(names) + " (chosen on validation)" if names else "seasonal naive"
