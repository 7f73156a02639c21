"""Conformal prediction intervals from the model's own out-of-sample errors.

Errors are taken in model space (log space for the default scaler), where series of any
level are comparable: for every calibration origin (validation windows and the hold-out)
the forecast is rolled out ``horizon`` steps and compared with what happened. At predict
time the split-conformal quantile of the absolute errors, per horizon step, is added to and
subtracted from the model-space forecast and transformed back, so intervals are asymmetric
where the data are (log) and valid for any cell type. A series with at least ``MIN_OWN`` errors
per step uses its own; others pool with the series on the same scale: errors in log space
(relative) and in a plain scale (additive) are never mixed (``scale_groups``). Panels with more than ``MAX_ORIGINS`` origins use a seeded
random subset of them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from forecast.windows import Calendar

__all__ = ["calibration_errors", "bounds", "conformal_offsets", "level_columns", "scale_groups", "MIN_OWN"]

MIN_OWN = 30
MAX_ORIGINS = 200_000  # calibration origins rolled out at most (a seeded random subset beyond)
_CHUNK = 32_768


def calibration_errors(
    models: Sequence[object],
    z: Sequence[np.ndarray],
    origins: Sequence[tuple[int, int]],
    lookback: int,
    level_len: int,
    horizon: int,
    firsts: Sequence[int] | None = None,
    calendar: Calendar | None = None,
    exog: Sequence[np.ndarray] | None = None,
    past: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Signed model-space errors (n_origins, horizon), NaN past the data, and each row's series.

    ``origins`` are (series index, position t): inputs z[k][t - lookback:t], targets from t.
    ``firsts[k]`` is the grid position of z[k][0] (for ``calendar`` inputs); ``exog[k]`` the
    covariate features of series k (``covariates.features``, with ``roll_extra`` rows past its
    end), whose first ``past`` columns an origin knows only up to itself.
    """
    from forecast.covariates import hold_past
    from forecast.predict import roll_forward

    origins = [(k, t) for k, t in origins if t >= lookback]
    if not origins:
        return np.empty((0, horizon)), np.empty(0, dtype=np.int64)
    if len(origins) > MAX_ORIGINS:  # big panels: a fixed random subset is plenty for quantiles
        keep = np.sort(np.random.default_rng(0).choice(len(origins), MAX_ORIGINS, replace=False))
        origins = [origins[i] for i in keep]
    errors = np.empty((len(origins), horizon), dtype=np.float32)
    for lo in range(0, len(origins), _CHUNK):  # bounded memory: inputs built per chunk
        part = origins[lo : lo + _CHUNK]
        x = np.stack([z[k][t - lookback : t] for k, t in part])
        start = None if firsts is None else np.array([firsts[k] + t - lookback for k, t in part])
        ex = None
        if exog is not None:
            extra = len(exog[0]) - len(z[0])
            ex = hold_past(np.stack([exog[k][t - lookback : t + extra] for k, t in part]), lookback, past)
        fc = np.median(
            np.stack([roll_forward(m, x, level_len, horizon, start, calendar, ex) for m in models]), axis=0
        )
        y = np.full((len(part), horizon), np.nan)
        for i, (k, t) in enumerate(part):
            target = z[k][t : t + horizon]
            y[i, : len(target)] = target
        errors[lo : lo + len(part)] = y - fc
    return errors, np.array([k for k, _ in origins], dtype=np.int64)


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
) -> np.ndarray:
    """Model-space offsets (len(wanted), 2 * len(levels), horizon): lo/hi per level, in order.

    A series with ``MIN_OWN`` errors uses its own; the others pool the errors of the series in
    their group (``groups[k]``, from ``scale_groups``; one group when None), never another
    group's. Steps beyond the calibrated horizon reuse the last step's spread widened by sqrt(h / H).
    """
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
