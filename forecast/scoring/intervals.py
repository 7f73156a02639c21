"""Conformal prediction intervals from the model's own out-of-sample errors.

Errors are taken in model space (log space for the default scaler), where series of any
level are comparable: for every calibration origin (validation windows and the hold-out)
the forecast is rolled out ``horizon`` steps and compared with what happened
(``forecast.model.rollforward.calibration_errors``). At predict time the split-conformal
quantile of the absolute errors, per horizon step, is added to and subtracted from the
model-space forecast and transformed back, so intervals are asymmetric where the data are (log)
and valid for any cell type. A series with at least ``MIN_OWN`` errors per step uses its own;
others pool with the series on the same scale: errors in log space (relative) and in a plain
scale (additive) are never mixed (``scale_groups``). Numpy only: this module never sees a network.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["bounds", "conformal_offsets", "level_columns", "scale_groups", "MIN_OWN"]

MIN_OWN = 30


def _quantiles(errors: np.ndarray, levels: Sequence[int]) -> np.ndarray:
    """Per-step offsets (2 * len(levels), horizon): -q, +q with q the conformal quantile of |error|.

    Split-conformal: q is the ceil((n + 1) L)-th smallest of the n absolute errors, so the
    interval always holds the forecast and covers at least L of exchangeable errors; with
    fewer than L / (1 - L) errors no such q exists and the offsets are NaN (empty columns).
    """
    out = np.zeros((2 * len(levels), errors.shape[1]))
    for h in range(errors.shape[1]):
        e = np.abs(errors[:, h])
        e = np.sort(e[np.isfinite(e)])
        if e.size == 0:  # no error at this step: empty, not a zero-width interval
            out[:, h] = np.nan
            continue
        for j, lv in enumerate(levels):
            rank = int(np.ceil((e.size + 1) * lv / 100)) - 1
            if rank >= e.size:  # too few errors to promise this level: leave it empty
                out[2 * j, h] = out[2 * j + 1, h] = np.nan
                continue
            out[2 * j, h], out[2 * j + 1, h] = -e[rank], e[rank]
    return out


def conformal_offsets(errors: np.ndarray, levels: Sequence[int]) -> np.ndarray:
    """Per-step offsets (2 * len(levels), horizon) -q, +q from signed errors (n, horizon), NaN
    where a step has too few finite errors for a level (``_quantiles``)."""
    return _quantiles(np.asarray(errors, dtype=np.float64), levels)


def scale_groups(transforms: Sequence[object]) -> np.ndarray:
    """Each series' calibration group: 1 for log-space transforms, 0 for a plain scale."""
    return np.array([bool(getattr(t, "log", False)) for t in transforms], dtype=np.int64)


def bounds(
    errors: np.ndarray,
    series: np.ndarray,
    wanted: Sequence[int],
    levels: Sequence[int],
    horizon: int,
    groups: np.ndarray | None = None,
    lags: Sequence[int] | None = None,
) -> np.ndarray:
    """Model-space offsets (len(wanted), 2 * len(levels), horizon): lo/hi per level, in order.

    ``lags[i]``: series i's last observation is that many steps before its forecast origin
    (``--fill mask``, trailing missing values): its offsets are those of steps lag + 1 on.

    A series with ``MIN_OWN`` errors uses its own; the others pool the errors of the series in
    their group (``groups[k]``, from ``scale_groups``; one group when None), never another
    group's. Steps beyond the calibrated horizon reuse the last step's spread widened by sqrt(h / H).
    """
    if lags is not None and len(lags) and max(lags) > 0:
        longer = bounds(errors, series, wanted, levels, horizon + int(max(lags)), groups)
        return np.stack([longer[i, :, k : k + horizon] for i, k in enumerate(lags)])
    calibrated = errors.shape[1] if errors.size else 0
    out = np.full((len(wanted), 2 * len(levels), horizon), np.nan)
    if calibrated == 0:  # no out-of-sample errors at all: no interval can be promised
        return out
    series = np.asarray(series, dtype=np.int64)
    if groups is None:
        row_group = np.zeros(len(series), dtype=np.int64)
    else:
        groups = np.asarray(groups, dtype=np.int64)
        row_group = groups[series] if len(series) else np.zeros(0, dtype=np.int64)
    pooled = {int(g): _quantiles(errors[row_group == g], levels) for g in np.unique(row_group)}
    counts = np.bincount(series, minlength=max(wanted, default=0) + 1) if len(series) else np.zeros(1)
    order = np.argsort(series, kind="stable")  # each series' errors as one slice: no scan per series
    starts = np.r_[0, np.cumsum(counts)]
    empty = np.full((2 * len(levels), calibrated), np.nan)
    for i, k in enumerate(wanted):
        own = k < len(counts) and counts[k] >= MIN_OWN
        if own:
            q = _quantiles(errors[order[starts[k] : starts[k + 1]]], levels)
        else:
            q = pooled.get(0 if groups is None else int(groups[k]), empty)
        steps = min(horizon, calibrated)
        out[i, :, :steps] = q[:, :steps]
        if horizon > calibrated:
            scale = np.sqrt(np.arange(calibrated + 1, horizon + 1) / calibrated)
            out[i, :, calibrated:] = q[:, -1:] * scale
    return out


def level_columns(levels: Sequence[int]) -> list[str]:
    """Column names in the order ``bounds`` returns them: lo-80, hi-80, lo-95, hi-95."""
    return [f"{side}-{lv}" for lv in levels for side in ("lo", "hi")]
