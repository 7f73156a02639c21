"""Model-space roll-forward: forecasts from the last window of each series (then raw values), and
the calibration errors of rolling forward from past origins, which ``scoring.intervals`` turns
into conformal intervals. Panels with more than ``MAX_ORIGINS`` calibration origins use a seeded
random subset of them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from forecast.model.covariates import hold_past
from forecast.model.missing import bridged, carried, observed
from forecast.model.transforms import SeriesTransform, TransformRows
from forecast.model.windows import Calendar, model_inputs, normalise_inputs

__all__ = ["roll_forward", "forecast_panel", "origin_forecasts", "calibration_errors"]

_BATCH = 4096
MAX_ORIGINS = 200_000  # calibration origins rolled out at most (a seeded random subset beyond)
_CHUNK = 32_768


def roll_forward(
    model: nn.Module,
    z_last: np.ndarray,
    level_len: int,
    horizon: int,
    first: np.ndarray | None = None,
    calendar: Calendar | None = None,
    exog: np.ndarray | None = None,
    observed: np.ndarray | None = None,
    flag: bool = False,
) -> np.ndarray:
    """``horizon`` model-space values after each row of ``z_last`` (n, lookback) -> (n, horizon).

    The model gives ``output_size`` steps at a time (the trained horizon, or 1 for
    many-to-one); longer horizons feed its own outputs back as inputs, for
    ``covariates.rolled_steps(horizon, output_size)`` steps in all, cut to ``horizon``.
    ``first`` holds the grid position of each row's first value, for ``calendar`` inputs;
    ``exog`` (n, lookback + ``covariates.roll_extra``, k) the covariate features from that
    position on; ``observed`` (n, lookback) a masked run's flags (``model.missing``: the
    values of ``z_last`` are then carried ones, bridged where missing), 1 for every value the
    model produces; ``flag``: the network also reads ``1 - observed`` (``--missing-flag``).
    """
    from forecast.model.loop import choose_threads

    device = next(model.parameters()).device
    torch.set_num_threads(choose_threads(len(z_last)))
    window = np.atleast_2d(np.asarray(z_last, dtype=np.float64))
    lookback = window.shape[1]
    first = None if first is None else np.asarray(first, dtype=np.int64)
    produced: list[np.ndarray] = []
    count = 0
    model.eval()
    with torch.no_grad():
        while count < horizon:  # stops at covariates.rolled_steps(horizon, output_size)
            x = window if observed is None else bridged(window, observed)
            x, level = normalise_inputs(x, level_len)  # (n, lookback), (n, 1)
            start = None if first is None else first + count
            outs = []
            for lo in range(0, len(x), _BATCH):
                part = None if start is None else start[lo : lo + _BATCH]
                ex = None if exog is None else exog[lo : lo + _BATCH, count : count + lookback]
                seen = observed[lo : lo + _BATCH] if flag and observed is not None else None
                batch = torch.from_numpy(model_inputs(x[lo : lo + _BATCH], part, calendar, ex, seen)).to(
                    device
                )
                outs.append(model(batch).double().cpu().numpy())  # (b, output_size)
            step = np.concatenate(outs) + level
            produced.append(step)
            count += step.shape[1]
            window = np.concatenate([window, step], axis=1)[:, -lookback:]
            if observed is not None:
                observed = np.concatenate([observed, np.ones(step.shape, np.float32)], axis=1)[:, -lookback:]
    return np.concatenate(produced, axis=1)[:, :horizon]


def forecast_panel(
    models: Sequence[nn.Module],
    transforms: Sequence[SeriesTransform],
    histories: Sequence[np.ndarray],
    first_positions: Sequence[int],
    lookback: int,
    horizon: int,
    offsets: np.ndarray | None = None,
    calendar: Calendar | None = None,
    exog: Sequence[np.ndarray] | None = None,
    masked: bool = False,
    flag: bool = False,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Raw-scale forecasts (n_series, horizon), the median over ``models`` (an ensemble), and
    with ``offsets`` (n_series, n_bounds, horizon) of model-space interval offsets, the
    bounds in raw scale (n_series, n_bounds, horizon).

    ``first_positions[k]`` is the grid position of ``histories[k][0]``; every history must
    hold at least ``lookback`` values. ``exog[k]`` (``covariates.features``) holds series k's
    covariate features from its first value to ``roll_extra`` positions past its history.
    ``masked``: a ``--fill mask`` run: histories may hold NaN, read as ``missing.carried``
    model-space values, bridged inside each window.
    """
    n = len(histories)
    rows = TransformRows.stack(transforms)
    tails = (
        np.stack([np.asarray(y[-lookback:], dtype=np.float64) for y in histories])
        if n
        else np.empty((0, lookback))
    )
    ends = np.asarray(first_positions, dtype=np.int64) + np.array([len(y) for y in histories], dtype=np.int64)
    z_last = rows.forward(tails, ends[:, None] - lookback + np.arange(lookback))
    flags = None
    if masked and n:
        flags = observed(tails)
        for k in np.flatnonzero(flags.min(axis=1) == 0):  # carried in model space, from its whole history
            y, first = histories[k], first_positions[k]
            z_last[k] = carried(transforms[k].forward(y, first + np.arange(len(y))))[-lookback:]
    level_len = transforms[0].level_len if transforms else 0
    starts = ends - lookback
    window = None
    if exog is not None and n:
        extra = len(exog[0]) - len(histories[0])
        window = np.stack([e[len(y) - lookback : len(y) + extra] for e, y in zip(exog, histories)])
    members = np.stack(
        [roll_forward(m, z_last, level_len, horizon, starts, calendar, window, flags, flag) for m in models]
    )
    z_future = np.median(members, axis=0)  # (n, horizon)
    future = ends[:, None] + np.arange(horizon)
    out = rows.inverse(z_future, future)
    bands = None
    if offsets is not None:
        bands = np.stack(
            [rows.inverse(z_future + offsets[:, b], future) for b in range(offsets.shape[1])], axis=1
        )
    return out, bands


def origin_forecasts(
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
    targets: Sequence[np.ndarray] | None = None,
    flag: bool = False,
) -> np.ndarray:
    """Model-space forecasts (len(origins), horizon), the median over ``models``, rolled forward
    from ``origins`` (series index k, position t; every t >= lookback): inputs z[k][t - lookback:t].

    ``firsts[k]`` is the grid position of z[k][0] (for ``calendar`` inputs); ``exog[k]`` the
    covariate features of series k (``covariates.features``, with ``roll_extra`` rows past its
    end), whose first ``past`` columns an origin knows only up to itself. ``targets``: a masked
    run's series with NaN kept (``z`` holding carried values): missing inputs are bridged."""
    out = np.empty((len(origins), horizon), dtype=np.float64)
    for lo in range(0, len(origins), _CHUNK):  # bounded memory: inputs built per chunk
        part = origins[lo : lo + _CHUNK]
        x = np.stack([z[k][t - lookback : t] for k, t in part])
        start = None if firsts is None else np.array([firsts[k] + t - lookback for k, t in part])
        ex = None
        if exog is not None:
            extra = len(exog[0]) - len(z[0])
            ex = hold_past(np.stack([exog[k][t - lookback : t + extra] for k, t in part]), lookback, past)
        flags = (
            None if targets is None else np.stack([observed(targets[k][t - lookback : t]) for k, t in part])
        )
        out[lo : lo + len(part)] = np.median(
            np.stack(
                [roll_forward(m, x, level_len, horizon, start, calendar, ex, flags, flag) for m in models]
            ),
            axis=0,
        )
    return out


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
    targets: Sequence[np.ndarray] | None = None,
    flag: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Signed model-space errors (n_origins, horizon) of ``origin_forecasts`` (same arguments),
    NaN past the data, and each row's series. Origins before ``lookback`` are left out; a
    masked run's targets come from ``targets`` (NaN errors where a value is missing)."""
    origins = [(k, t) for k, t in origins if t >= lookback]
    if not origins:
        return np.empty((0, horizon)), np.empty(0, dtype=np.int64)
    if len(origins) > MAX_ORIGINS:  # big panels: a fixed random subset is plenty for quantiles
        keep = np.sort(np.random.default_rng(0).choice(len(origins), MAX_ORIGINS, replace=False))
        origins = [origins[i] for i in keep]
    fc = origin_forecasts(
        models, z, origins, lookback, level_len, horizon, firsts, calendar, exog, past, targets, flag
    )
    y = np.full((len(origins), horizon), np.nan)
    truth = z if targets is None else targets
    for i, (k, t) in enumerate(origins):
        target = truth[k][t : t + horizon]
        y[i, : len(target)] = target
    return (y - fc).astype(np.float32), np.array([k for k, _ in origins], dtype=np.int64)
