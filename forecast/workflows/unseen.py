"""Series a run was not trained on (cold start): ``fit_unseen`` fits each one's transform and
covariate scales from its own history, exactly as training fits a trained series', and says
which of them the run's network cannot forecast, so ``workflows.predict`` gives those the
seasonal-naive fallback with a warning instead of a forecast from inputs it never saw.

The network is global and reads every window relative to its own level, so it forecasts any
series of the run's frequency; intervals come from the run's pooled calibration errors of the
series' scale group (``scoring.intervals.bounds``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from forecast.core.choices import Scaler
from forecast.core.config import RunConfig
from forecast.model import covariates
from forecast.model.missing import interpolated
from forecast.model.transforms import SeriesTransform, fit_transform

__all__ = ["UNSEEN", "Unseen", "fit_unseen"]

UNSEEN = "model (unseen)"  # the method column of a series forecast by a run that never saw it


@dataclass
class Unseen:
    """Per unseen series, in the order given: its transform, covariate scales (runs with
    covariates), whether the network forecasts it, and what predict should say."""

    transforms: list[SeriesTransform]
    usable: np.ndarray  # bool
    scales: list[covariates.CovariateScale] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def fit_unseen(
    cfg: RunConfig,
    trained: list[SeriesTransform],
    step: float | None,
    ids: list[str],
    histories: list[np.ndarray],
    positions: list[np.ndarray],
    covs: list[np.ndarray] | None,
) -> Unseen:
    """Fit each unseen series' transform on its history (``positions`` on the run's grid), with
    the run's scaler, deseasonalisation, season and the negative-value ``step`` of its refit.

    ``trained``: the transforms of the series the run's network was trained on. Under the
    window scaler a network trained only on log-scaled (non-negative) series has never seen a
    plain-scaled window, and the reverse: a series needing the scaling the run never trained
    gets ``usable`` False and a warning.
    Series shorter than the lookback are the caller's to leave to the fallback."""
    w = cfg.window
    assert w.season and w.lookback
    seen_log = {t.log for t in trained}
    out = Unseen([], np.ones(len(ids), dtype=bool))
    refused: list[str] = []
    for k, (y, pos) in enumerate(zip(histories, positions)):
        seen = np.isfinite(y)
        t, _ = fit_transform(interpolated(y), pos, w.scaler, w.deseason, w.season, w.lookback, step, seen)
        out.transforms.append(t)
        if w.scaler is Scaler.window and t.log not in seen_log:
            out.usable[k] = False
            refused.append(ids[k])
    if refused:
        names = ", ".join(f"'{i}'" for i in refused[:5]) + (", ..." if len(refused) > 5 else "")
        what, only = (
            ("has negative values", "non-negative") if True in seen_log else ("has none", "negative-valued")
        )
        out.warnings.append(
            f"{len(refused)} unseen series ({names}): {what}, but the run's network was trained only "
            f"on {only} series, whose windows it reads differently; forecast by seasonal naive"
        )
    if covs is not None:  # each one's own scales, as training fits each trained series'
        out.scales = [covariates.fit_scales([c])[0] for c in covs]
    return out
