"""Choices made on validation: for each series, the candidate of ``--candidates`` (the network,
Theta, ETS: ``scoring.statistical``) whose forecasts erred least at the validation origins
inside the training part.

The hold-out then scores what validation chose (no candidate saw it: an honest score), and the
run ships the choice of the validation and hold-out errors together (``Evidence.add``): the
network's hold-out forecast is out of sample too, so a hold-out it loses counts against it.
No I/O: ``workflows.holdout`` calls these and ``workflows.save`` records the choice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forecast.core.choices import Candidate
from forecast.core.config import RunConfig
from forecast.data.panel import Panel
from forecast.model.missing import carried
from forecast.scoring import statistical
from forecast.workflows.fitting import Fitted, masked
from forecast.workflows.origins import AtOrigin, net_forecasts

__all__ = [
    "Evidence",
    "validate",
    "history",
    "statistical_at",
    "chosen_at",
    "without_network",
    "MODEL",
    "FALLBACK",
]

MODEL = Candidate.model.value
FALLBACK = "seasonal_naive"  # series too short for every candidate


@dataclass
class Evidence:
    """Per series, per candidate (``names``): the sum of absolute errors and how many there are."""

    names: tuple[str, ...]
    total: np.ndarray  # (series, candidates)
    count: np.ndarray  # (series, candidates)

    @classmethod
    def empty(cls, names: tuple[str, ...], n_series: int) -> Evidence:
        return cls(names, np.zeros((n_series, len(names))), np.zeros((n_series, len(names))))

    def record(self, name: str, rows: np.ndarray, actual: np.ndarray, forecast: np.ndarray) -> None:
        """Add ``name``'s errors: forecasts (len(rows), horizon) of ``actual``; ``rows``: each
        row's series. Missing actuals (NaN) are no evidence."""
        j = self.names.index(name)
        err = np.abs(actual - forecast)
        ok = np.isfinite(err)
        np.add.at(self.total[:, j], rows, np.where(ok, err, 0.0).sum(axis=1))
        np.add.at(self.count[:, j], rows, ok.sum(axis=1))

    def confirmed(self, holdout: Evidence) -> np.ndarray:
        """What the run ships: each series' validation winner where the hold-out (out of sample
        for every candidate) confirms it, else the statistical candidate with the smallest
        error over both: the safety net wherever the evidence disagrees.

        Measured on the suite's 120 single series (MASE): the smallest error over validation and
        hold-out together shipped the network for 22 series and scored 1.005; Theta+ETS alone
        0.972; the network only where both confirm it 0.979 to 0.991 (bench/suite.py)."""
        first, second = self.choose(), holdout.choose()
        both = self.add(holdout)
        safe = [j for j, n in enumerate(self.names) if n != MODEL]
        if not safe:
            return first
        mae = both.mae()[:, safe]
        fallback = np.array(self.names, dtype=object)[np.array(safe)][
            np.argmin(np.where(np.isfinite(mae), mae, np.inf), axis=1)
        ]
        seen = holdout.count.sum(axis=1) > 0  # no hold-out evidence: validation alone decides
        return np.where((first == second) | ~seen, first, fallback)

    def add(self, other: Evidence) -> Evidence:
        """Both bodies of evidence (same series and candidates)."""
        return Evidence(self.names, self.total + other.total, self.count + other.count)

    def mae(self) -> np.ndarray:
        """(series, candidates): mean absolute error, NaN without evidence."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.count > 0, self.total / np.maximum(self.count, 1), np.nan)

    def choose(self) -> np.ndarray:
        """Each series' candidate with the smallest error among those with evidence; the first
        candidate (the network by default) on a tie or without any evidence."""
        mae = self.mae()
        best = np.argmin(np.where(np.isfinite(mae), mae, np.inf), axis=1)
        return np.array(self.names, dtype=object)[best] if len(mae) else np.empty(0, dtype=object)


def history(cfg: RunConfig, y: np.ndarray) -> np.ndarray:
    """What a statistical method reads of a series: a ``--fill mask`` run's gaps carried forward
    from the last observed value (never filled from later values: an origin after a gap would
    read the values it is scored on)."""
    return carried(y) if masked(cfg) else np.asarray(y, dtype=np.float64)


def validate(cfg: RunConfig, fit: Fitted | None, panel: Panel, origins: list[tuple[int, int]]) -> Evidence:
    """Each candidate's errors at validation origins of the training cut ``panel`` (which ``fit``
    was fitted on; None: no network). Where the network has origins of a series (``origins``
    from ``lookback`` on), every candidate is judged at them; a series without any is judged
    among the statistical candidates at its last ``val_size`` (at least ``horizon``) positions:
    with no evidence for the network, the safety net is chosen. Each forecast reads only the
    values before its origin; the statistical ones' seasonal factors are the whole cut's, as
    the network's transforms are."""
    w = cfg.window
    assert w.lookback and w.horizon
    names = tuple(cfg.train.candidates)
    # a validation split shorter than the network's output leaves none: every target trained on
    split = (w.val_size or 0) >= cfg.model.output_size
    net = (
        [(k, t) for k, t in origins if t >= w.lookback]
        if fit is not None and MODEL in names and split
        else []
    )
    covered = {k for k, _ in net}
    val = max(w.val_size or 0, w.horizon)
    extra = [
        (k, t)
        for k, n in enumerate(panel.lengths.tolist())
        if k not in covered
        for t in range(max(n - val, statistical.MIN_LENGTH), n)
    ]
    evidence = Evidence.empty(names, len(panel.lengths))
    if net:
        assert fit is not None
        evidence.record(
            MODEL, _rows(net), _actual(w.horizon, panel, net), net_forecasts(cfg, fit, panel, net)
        )
    stat = net + extra
    actual, rows = _actual(w.horizon, panel, stat), _rows(stat)
    for name in (n for n in names if n != MODEL):
        fc = np.empty((len(stat), w.horizon))
        for k in np.unique(rows):
            at = np.flatnonzero(rows == k)
            y = history(cfg, panel.values[k])
            fc[at] = statistical.origin_forecasts(
                name, y, w.season or 1, w.horizon, np.array([stat[i][1] for i in at])
            )
        evidence.record(name, rows, actual, fc)
    return evidence


def _rows(origins: list[tuple[int, int]]) -> np.ndarray:
    return np.array([k for k, _ in origins], dtype=np.int64)


def _actual(horizon: int, panel: Panel, origins: list[tuple[int, int]]) -> np.ndarray:
    """(len(origins), horizon): the values after each origin, NaN past the series' end."""
    actual = np.full((len(origins), horizon), np.nan)
    for i, (k, t) in enumerate(origins):
        seen = panel.values[k][t : t + horizon]
        actual[i, : len(seen)] = seen
    return actual


def statistical_at(
    cfg: RunConfig, histories: list[np.ndarray], horizon: int, methods: np.ndarray, levels: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Forecasts (series, horizon) and bounds (series, 2 * len(levels), horizon) of each series'
    statistical method (``methods[k]``; NaN rows for any other) after all of its history."""
    w = cfg.window
    assert w.season
    point = np.full((len(histories), horizon), np.nan)
    bands = np.full((len(histories), 2 * len(levels), horizon), np.nan)
    for k, (y, method) in enumerate(zip(histories, methods)):
        if method in statistical.METHODS:
            y = history(cfg, y)
            point[k] = statistical.forecast(method, y, w.season, horizon)
            bands[k] = statistical.bounds(method, y, w.season, horizon, levels, point[k])
    return point, bands


def chosen_at(
    cfg: RunConfig, at: AtOrigin, picked: np.ndarray, levels: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Forecasts and bounds from one origin (``origins.forecast_at``'s, the network's) of each
    series' ``picked`` candidate, and every candidate's forecasts by name, each from the
    history before the origin only: the hold-out's and each backtest fold's."""
    season, names = cfg.window.season or 1, tuple(cfg.train.candidates)
    histories = [history(cfg, y) for y in at.history.values]
    horizon = at.forecast.shape[1]
    named = {MODEL: at.forecast} if MODEL in names else {}
    fc = np.array(at.forecast, dtype=np.float64)
    bands = np.full((len(fc), 2 * len(levels), horizon), np.nan) if at.bands is None else np.array(at.bands)
    for name in (n for n in names if n != MODEL):
        named[name] = np.array([statistical.forecast(name, y, season, horizon) for y in histories])
        for k in np.flatnonzero(picked == name):
            fc[k] = named[name][k]
            bands[k] = statistical.bounds(name, histories[k], season, horizon, levels, fc[k])
    return fc, bands, named


def without_network(cfg: RunConfig, panel: Panel) -> np.ndarray:
    """The method of each series of ``panel`` the network does not forecast (too short for its
    lookback): the statistical candidate with the smallest error at origins in its last
    ``val_size`` (at least ``horizon``) values, else ``FALLBACK`` (none among --candidates, or
    too short for one)."""
    methods = np.full(len(panel.lengths), FALLBACK, dtype=object)
    if not any(n != MODEL for n in cfg.train.candidates) or not len(methods):
        return methods
    chosen = validate(cfg, None, panel, []).choose()
    enough = panel.lengths > statistical.MIN_LENGTH
    methods[enough] = chosen[enough]
    return methods
