"""Forecasts and calibration errors from past origins, the one step the hold-out
(``workflows.holdout``) and every backtest fold (``workflows.backtest``) share:
``validation_origins`` (where a fit's validation targets began), ``errors_at`` (its
out-of-sample errors rolled forward from origins, for conformal intervals), ``net_forecasts``
(its raw forecasts from them, for ``workflows.choice``) and ``forecast_at``
(every series forecast from some steps before its end, seeing only what came before).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forecast.core.config import RunConfig
from forecast.data.panel import Panel
from forecast.model.missing import carried, trailing
from forecast.model.transforms import TransformRows
from forecast.scoring import intervals
from forecast.workflows.fitting import Fitted, calendar_of, covariates_of, exog_of, forecast_series, masked

__all__ = ["validation_origins", "errors_at", "net_forecasts", "AtOrigin", "forecast_at"]


def validation_origins(cfg: RunConfig, panel: Panel) -> list[tuple[int, int]]:
    """(series, position) of every validation origin: the last ``val_size`` positions of each
    series of ``panel`` (targets from there on were the validation data)."""
    val = cfg.window.val_size or 0
    if not val:
        return []
    return [(i, t) for i, n in enumerate(panel.lengths.tolist()) for t in range(max(n - val, 0), n)]


def errors_at(
    cfg: RunConfig, fit: Fitted, panel: Panel, origins: list[tuple[int, int]]
) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-sample model-space errors of ``fit``'s models rolled forward ``horizon`` steps from
    ``origins`` (series of ``panel``, position), with the targets ``panel`` holds (NaN past its
    end), and each error row's series. ``panel`` holds the series ``fit`` was fitted on, in order.
    """
    from forecast.model.rollforward import calibration_errors

    return calibration_errors(*_inputs(cfg, fit, panel, origins))


def net_forecasts(cfg: RunConfig, fit: Fitted, panel: Panel, origins: list[tuple[int, int]]) -> np.ndarray:
    """Raw-scale forecasts (len(origins), horizon) of ``fit``'s models from ``origins`` (series of
    ``panel``, position t >= lookback), each reading only the values before t; ``panel`` holds
    the series ``fit`` was fitted on, in order."""
    from forecast.model.rollforward import origin_forecasts

    w = cfg.window
    assert w.horizon
    z = origin_forecasts(*_inputs(cfg, fit, panel, origins))
    rows = TransformRows.stack([fit.transforms[k] for k, _ in origins])
    at = np.array([panel.firsts[k] + t for k, t in origins], dtype=np.int64)
    return rows.inverse(z, at[:, None] + np.arange(w.horizon))


def _inputs(cfg: RunConfig, fit: Fitted, panel: Panel, origins: list[tuple[int, int]]) -> tuple:
    """The arguments of ``rollforward.origin_forecasts`` and ``calibration_errors``."""
    w = cfg.window
    assert w.lookback and w.horizon and np.array_equal(panel.index, fit.index)
    triples = list(zip(fit.transforms, panel.values, panel.positions))
    targets = [t.forward(y, p) for t, y, p in triples]
    z = [carried(v) for v in targets]
    spec = covariates_of(cfg)
    exog = exog_of(cfg, panel.covariates, panel.lengths.tolist(), fit.scales, w.horizon)
    return (
        fit.models, z, origins, w.lookback, fit.transforms[0].level_len, w.horizon, panel.firsts,
        calendar_of(cfg), exog, spec.past if spec else 0, targets if masked(cfg) else None, w.missing_flag,
    )  # fmt: skip


@dataclass
class AtOrigin:
    """Forecasts from one origin: the histories they saw, what followed, forecasts and bounds."""

    history: Panel  # the series forecast, cut at the origin
    actuals: list[np.ndarray]  # the values after the origin (up to ``horizon`` of them)
    forecast: np.ndarray  # (series, horizon), raw scale
    bands: np.ndarray | None  # (series, bounds, horizon)


def forecast_at(
    cfg: RunConfig,
    fit: Fitted,
    panel: Panel,
    back: int,
    horizon: int,
    errors: tuple[np.ndarray, np.ndarray],
    levels: tuple[int, ...],
) -> AtOrigin:
    """Forecast every series of ``panel`` ``horizon`` steps from ``back`` steps before its end,
    seeing only the values before that origin; bounds from ``errors`` (``errors_at``).

    The one forecast-at-an-origin step of the hold-out and of every backtest fold."""
    w = cfg.window
    assert w.lookback
    history = panel.cut(back)
    at = fit.members(panel.index)
    lags = [trailing(y) for y in history.values]  # --fill mask: the last values may be missing
    offsets = intervals.bounds(*errors, at, levels, horizon, intervals.scale_groups(fit.transforms), lags)
    scales = [fit.scales[i] for i in at] if fit.scales else []
    exog = exog_of(cfg, history.covariates, history.lengths.tolist(), scales, horizon)
    transforms = [fit.transforms[i] for i in at]
    fc, bands = forecast_series(
        cfg, fit.models, transforms, list(history.values), history.firsts, horizon, offsets, exog
    )
    ends = history.lengths.tolist()
    actuals = [y[e : e + horizon] for y, e in zip(panel.values, ends)]
    return AtOrigin(history, actuals, fc, bands)
