"""Warm start (``forecast train --init RUN``): the parent run, loaded and verified exactly like
any run predict loads (``saved_run.load_run``: hashes, strict JSON, no code executed), checked
to fit the network this training builds (``check_fits``), its weights as the starting point
(``starting_point``), and what the new run records of it (``Parent.record``: the parent and
its own lineage), plus how much of the hold-out the parent's weights have already seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecast.core.choices import Strategy
from forecast.core.config import RunConfig
from forecast.core.errors import UsageError
from forecast.data import dataset
from forecast.data.dates import fmt_date
from forecast.runs import locks
from forecast.workflows.fitting import Fitted
from forecast.workflows.saved_run import LoadedRun, load_run

__all__ = ["Parent", "load_parent", "check_fits", "starting_point", "seen_holdout"]

MAX_LINEAGE = 100  # ancestors a run records (the newest): a daily warm start runs for years


@dataclass
class Parent:
    """The run ``--init`` names, loaded, and config.json's ``parent`` record of it."""

    loaded: LoadedRun
    record: dict[str, Any]

    @property
    def config(self) -> RunConfig:
        return self.loaded.config


def load_parent(path: str, wait: float = 60.0) -> Parent:
    """Load and verify the run at ``path`` (RunError, exit 4, if it is missing or altered), held
    against a retrain swapping it meanwhile and repaired first if a killed swap left it aside,
    as predict reads a run (``locks.reading``: ``wait`` seconds for a swap in progress)."""
    with locks.reading(Path(path), wait) as real:
        loaded = load_run(real)
    meta = loaded.meta
    own = meta.get("parent") if isinstance(meta.get("parent"), dict) else None
    earlier = own.get("lineage", []) if own else []
    if own:
        earlier = [*earlier, {k: v for k, v in own.items() if k != "lineage"}]
    record = {
        "run": str(loaded.path.resolve()),
        "weights_sha256": meta["weights"]["sha256"],
        "created_utc": meta.get("created_utc"),
        "trained_until": meta["data"]["trained_until"],
        "lineage": [e for e in earlier if isinstance(e, dict)][-MAX_LINEAGE:],  # oldest first
    }
    return Parent(loaded, record)


def _flag(on: bool, name: str) -> str:
    return f"--{name}" if on else f"--no-{name}"


def check_fits(cfg: RunConfig, parent: Parent) -> None:
    """UsageError naming every setting of ``cfg`` (resolved) that differs from the parent's
    where it shapes the network or what its inputs mean: cell, sizes, inputs, strategy."""
    old = parent.config
    pairs = [
        ("--model", old.model.kind.value, cfg.model.kind.value),
        ("--layers", old.model.layers, cfg.model.layers),
        ("--hidden-size", old.model.hidden_size, cfg.model.hidden_size),
        ("--rnn-activation", old.model.rnn_activation.value, cfg.model.rnn_activation.value),
        ("--strategy", old.window.strategy.value, cfg.window.strategy.value),
        ("--lookback", old.window.lookback, cfg.window.lookback),
        ("--scaler", old.window.scaler.value, cfg.window.scaler.value),
        ("calendar inputs", _flag(bool(old.window.calendar), "calendar"), _flag(bool(cfg.window.calendar), "calendar")),
        ("--covariate", list(old.data.covariates), list(cfg.data.covariates)),
        ("--future-covariate", list(old.data.future_covariates), list(cfg.data.future_covariates)),
        ("--ensemble", old.train.ensemble, cfg.train.ensemble),
        ("frequency", old.data.freq, cfg.data.freq),
        ("--season", old.window.season, cfg.window.season),
        ("--deseason", old.window.deseason.value, cfg.window.deseason.value),
        ("missing flag", _flag(old.window.missing_flag, "missing-flag"), _flag(cfg.window.missing_flag, "missing-flag")),
    ]  # fmt: skip
    if cfg.window.strategy is Strategy.many_to_many:  # the output layer is one value per step
        pairs.append(("--horizon", old.window.horizon, cfg.window.horizon))
    differ = [f"{name} {new} (it has {was})" for name, was, new in pairs if was != new]
    if differ:
        raise UsageError(
            f"--init {parent.loaded.path}: its network does not fit this training: "
            + "; ".join(differ)
            + ". Train with the parent's settings, or without --init"
        )


def starting_point(cfg: RunConfig, parent: Parent) -> Fitted:
    """The parent's weights in networks built from ``cfg`` (its dropout, say), one per member,
    as the ``warm`` start of ``fitting.fit_members``."""
    from forecast.model.networks import build_model

    models = []
    for member in parent.loaded.models:
        model = build_model(cfg.model)
        model.load_state_dict(member.state_dict(), strict=True)
        models.append(model)
    return Fitted(models, [], [], 0, 0.0, [], [], np.zeros(0, dtype=np.int64))


def seen_holdout(parent: Parent, ds: dataset.Dataset, test_size: int) -> tuple[int, int, str | None]:
    """How many of the hold-out's points fall on or before the parent's ``trained_until``
    (its weights have seen them), of how many, and the warning to give when any do."""
    if not test_size:
        return 0, 0, None
    until = pd.Timestamp(parent.record["trained_until"])
    ends = ds.indptr[1:]
    held = [np.arange(max(s, e - test_size), e) for s, e in zip(ds.indptr[:-1], ends)]
    rows = np.concatenate(held) if held else np.zeros(0, dtype=np.int64)
    dates = ds.frame["ds"].to_numpy()[rows]
    seen = int((dates <= until.to_datetime64()).sum())
    if not seen:
        return 0, len(rows), None
    return (
        seen,
        len(rows),
        (
            f"--init: the parent run trained on data up to {fmt_date(until)}, which covers {seen} of the "
            f"hold-out's {len(rows)} points: its scores are optimistic (the starting weights have seen "
            "them); backtest or wait for new data for an honest score"
        ),
    )
