"""The statistical safety net: the Theta method and exponential smoothing with a damped trend
(ETS), from any number of forecast origins of one series in one pass: pure numpy.

Both work on the seasonally adjusted series: where Theta's 90% test finds the lag-``season``
autocorrelation significant, classical decomposition (multiplicative for positive series,
additive otherwise) takes the season out and puts it back on the forecast (``adjust``).

- ``theta``: the standard Theta method (Assimakopoulos and Nikolopoulos 2000, as Hyndman and
  Billah 2003 write it): simple exponential smoothing plus half the slope of the least-squares
  line, the M3 competition's winner.
- ``ets``: additive-error exponential smoothing, with no trend or with a damped trend
  (Gardner and McKenzie), whichever has the smaller AICc.
- ``comb``: the mean of the two (combinations of exponential smoothing forecasts were among
  the M3 competition's most accurate: Makridakis and Hibon 2000).

Parameters are fitted by least squares (the likelihood of additive errors) on each origin's
history only: a grid over the smoothing parameters, and for each grid point the initial level
and trend in closed form (the one-step errors are linear in them), so a whole series and all
its origins take one pass. ``bench/oracle.py`` compares both with statsforecast's Theta and
AutoETS on the development suite.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forecast.model.transforms import seasonality_test
from forecast.scoring.intervals import conformal_offsets

__all__ = [
    "METHODS",
    "adjust",
    "origin_forecasts",
    "forecast",
    "bounds",
    "with_bounds",
    "MIN_LENGTH",
    "ERRORS",
]

METHODS = ("theta", "ets", "comb")
MIN_LENGTH = 4  # fewer values: the forecast is naive's
# the most recent origins whose errors calibrate the intervals: 40 errors at the last step (a 95%
# interval needs 19); refitting at 200 origins, as the baselines do, made M3 monthly's predict 24 s
ERRORS = 40
_RIDGE = 1e-8

# the grids: smoothing of the level, of the trend (a share of alpha), damping
_SES_ALPHA = np.r_[np.linspace(0.01, 0.2, 20), np.linspace(0.22, 0.6, 20), np.linspace(0.63, 0.99, 13)]
_DAMPED = np.array(
    [
        (a, a * b, p)
        for a in (0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.65, 0.8, 0.95)
        for b in (0.01, 0.05, 0.15, 0.3)
        for p in (0.8, 0.88, 0.94, 0.98)
    ]
)


@dataclass(frozen=True)
class Season:
    """Seasonal factors by ``index % len(factors)``: multiplied (``multiplicative``) or added."""

    factors: np.ndarray
    multiplicative: bool

    def remove(self, y: np.ndarray, index: np.ndarray) -> np.ndarray:
        f = self.factors[index % len(self.factors)]
        return y / f if self.multiplicative else y - f

    def restore(self, y: np.ndarray, index: np.ndarray) -> np.ndarray:
        f = self.factors[index % len(self.factors)]
        return y * f if self.multiplicative else y + f


def adjust(y: np.ndarray, season: int) -> Season | None:
    """Classical decomposition's seasonal factors of ``y`` when Theta's test finds a season
    (at least two full seasons needed), else None."""
    y = np.asarray(y, dtype=np.float64)
    if season < 2 or len(y) < 2 * season or not seasonality_test(y, season):
        return None
    multiplicative = bool(np.all(y > 0))
    weights = np.r_[0.5, np.ones(season - 1), 0.5] / season if season % 2 == 0 else np.ones(season) / season
    trend = np.convolve(y, weights, mode="valid")
    half = (len(weights) - 1) // 2
    middle = y[half : half + len(trend)]
    detrended = middle / trend if multiplicative else middle - trend
    slots = np.arange(half, half + len(trend)) % season
    counts = np.bincount(slots, minlength=season)
    if (counts == 0).any() or not np.all(np.isfinite(detrended)):
        return None
    factors = np.bincount(slots, weights=detrended, minlength=season) / counts
    factors = factors / factors.mean() if multiplicative else factors - factors.mean()
    if multiplicative and not np.all(factors > 0):
        return None
    return Season(factors, multiplicative)


def origin_forecasts(
    method: str, y: np.ndarray, season: int, horizon: int, origins: np.ndarray
) -> np.ndarray:
    """(len(origins), horizon): ``method``'s forecast from each origin t, with parameters fitted
    on ``y[:t]`` alone. The seasonal factors are those of all of ``y``: give the history up to
    the last origin (a training cut), never values a forecast is scored on."""
    if method not in METHODS:
        raise ValueError(f"unknown statistical method {method!r}")
    y = np.asarray(y, dtype=np.float64)
    origins = np.asarray(origins, dtype=np.int64)
    out = np.empty((len(origins), horizon))
    if not len(origins):
        return out
    found = adjust(y, season)
    x = found.remove(y, np.arange(len(y))) if found else y
    steps = np.arange(horizon)
    short = origins < MIN_LENGTH
    out[short] = x[np.maximum(origins[short], 1) - 1][:, None]
    if (~short).any():
        long = origins[~short]
        if method == "comb":
            out[~short] = 0.5 * (_theta(x, long, horizon) + _ets(x, long, horizon))
        else:
            out[~short] = (_theta if method == "theta" else _ets)(x, long, horizon)
    if found:
        out = found.restore(out, origins[:, None] + steps)
    return out


def forecast(method: str, y: np.ndarray, season: int, horizon: int) -> np.ndarray:
    """``horizon`` steps of ``method``'s forecast after all of ``y``."""
    return origin_forecasts(method, y, season, horizon, np.array([len(y)]))[0]


def with_bounds(
    method: str, y: np.ndarray, season: int, horizon: int, levels: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """``forecast`` and its ``bounds`` from one pass over ``y`` (half the work of both)."""
    y = np.asarray(y, dtype=np.float64)
    origins = np.arange(max(MIN_LENGTH, len(y) - ERRORS - horizon + 1), len(y) + 1)
    fc = origin_forecasts(method, y, season, horizon, origins)
    point, past = fc[-1], fc[:-1]
    errors = np.full((len(past), horizon), np.nan)
    index = origins[:-1, None] + np.arange(horizon)
    inside = index < len(y)
    errors[inside] = y[index[inside]] - past[inside]
    return point, point[None, :] + conformal_offsets(errors, levels)


def bounds(
    method: str, y: np.ndarray, season: int, horizon: int, levels: tuple[int, ...], point: np.ndarray
) -> np.ndarray:
    """Split-conformal intervals (2 * len(levels), horizon) around ``point`` from the method's
    errors at the last ``horizon - 1 + ERRORS`` origins of ``y``, each refitted on its own history
    (the seasonal factors are all of ``y``'s). NaN where too few errors support a level."""
    y = np.asarray(y, dtype=np.float64)
    origins = np.arange(max(MIN_LENGTH, len(y) - ERRORS - horizon + 1), len(y))
    errors = np.full((len(origins), horizon), np.nan)
    if len(origins):
        fc = origin_forecasts(method, y, season, horizon, origins)
        index = origins[:, None] + np.arange(horizon)
        inside = index < len(y)
        errors[inside] = y[index[inside]] - fc[inside]
    return point[None, :] + conformal_offsets(errors, levels)


@dataclass
class _Pass:
    """What one smoothing pass recorded at each origin, per grid point: the least-squares sums
    of the one-step errors (linear in the initial states) and the states' own linear form."""

    sse: np.ndarray  # (origins, grid): the smallest sum of squared one-step errors
    level: np.ndarray  # (origins, grid): the level at the origin under those initial states
    trend: np.ndarray  # (origins, grid)


def _smooth(
    x: np.ndarray, origins: np.ndarray, alpha: np.ndarray, beta: np.ndarray, phi: np.ndarray
) -> _Pass:
    """Additive-error smoothing of ``x`` for every grid point (alpha, beta, phi) at once.

    The states are u + L.theta (level) and v + B.theta (trend), theta = (initial level,
    initial trend); with beta = phi = 0 it is simple exponential smoothing and theta the
    initial level alone. Each origin's best theta comes from the sums over its history."""
    k = 1 if not np.any(phi) else 2
    g = len(alpha)
    u, v = np.zeros(g), np.zeros(g)
    lv, bv = np.zeros((g, k)), np.zeros((g, k))
    lv[:, 0] = 1.0
    if k == 2:
        bv[:, 1] = 1.0
    scc, sca, saa = np.zeros(g), np.zeros((g, k)), np.zeros((g, k, k))
    want = np.zeros(len(x) + 1, dtype=bool)
    want[origins] = True
    stored: dict[int, tuple[np.ndarray, ...]] = {}
    for t in range(len(x)):
        pu, pa = u + phi * v, lv + phi[:, None] * bv
        c = x[t] - pu
        scc += c * c
        sca += c[:, None] * pa
        saa += pa[:, :, None] * pa[:, None, :]
        u, lv = pu + alpha * c, (1.0 - alpha)[:, None] * pa
        v, bv = phi * v + beta * c, phi[:, None] * bv - beta[:, None] * pa
        if want[t + 1]:
            stored[t + 1] = (scc.copy(), sca.copy(), saa.copy(), u.copy(), v.copy(), lv.copy(), bv.copy())
    sse, level, trend = (np.empty((len(origins), g)) for _ in range(3))
    for i, t in enumerate(origins.tolist()):
        s_cc, s_ca, s_aa, u_t, v_t, l_t, b_t = stored[t]
        theta = np.linalg.solve(s_aa + _RIDGE * np.eye(k), s_ca[:, :, None])[:, :, 0]
        sse[i] = np.maximum(s_cc - np.einsum("gk,gk->g", theta, s_ca), 0.0)
        level[i] = u_t + np.einsum("gk,gk->g", l_t, theta)
        trend[i] = v_t + np.einsum("gk,gk->g", b_t, theta)
    return _Pass(sse, level, trend)


def _ses(x: np.ndarray, origins: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Simple exponential smoothing at each origin: (level, alpha, sse) of the best alpha."""
    zeros = np.zeros_like(_SES_ALPHA)
    p = _smooth(x, origins, _SES_ALPHA, zeros, zeros)
    best = np.argmin(p.sse, axis=1)
    rows = np.arange(len(origins))
    return p.level[rows, best], _SES_ALPHA[best], p.sse[rows, best]


def _theta(x: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
    """Theta: SES's level plus half the slope of the least-squares line through ``x[:t]``,
    b/2 * (j - 1 + (1 - (1 - alpha)^t) / alpha) at step j (Hyndman and Billah 2003)."""
    level, alpha, _ = _ses(x, origins)
    idx = np.arange(len(x), dtype=np.float64)
    cum = [np.r_[0.0, np.cumsum(v)] for v in (np.ones_like(x), idx, idx * idx, x, idx * x)]
    n, st, stt, sy, sty = (c[origins] for c in cum)
    denom = n * stt - st * st
    slope = np.divide(n * sty - st * sy, denom, out=np.zeros_like(denom), where=denom > 0)
    steps = np.arange(horizon)[None, :]
    drift = steps + ((1.0 - (1.0 - alpha) ** n) / alpha)[:, None]
    return level[:, None] + 0.5 * slope[:, None] * drift


def _aicc(sse: np.ndarray, n: np.ndarray, params: int) -> np.ndarray:
    """AICc of a least-squares fit with ``params`` parameters plus the error variance."""
    k = params + 1
    with np.errstate(divide="ignore", invalid="ignore"):
        base = n * np.log(np.maximum(sse, 1e-300) / n) + 2 * k
        fix = np.where(n - k - 1 > 0, 2 * k * (k + 1) / np.maximum(n - k - 1, 1), np.inf)
    return base + fix


def _ets(x: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
    """ETS(A,N,N) or ETS(A,Ad,N) at each origin, whichever has the smaller AICc: the damped
    trend adds phi + phi^2 + ... + phi^j times the trend at step j."""
    level, _, sse_n = _ses(x, origins)
    a, b, phi = _DAMPED[:, 0], _DAMPED[:, 1], _DAMPED[:, 2]
    p = _smooth(x, origins, a, b, phi)
    best = np.argmin(p.sse, axis=1)
    rows = np.arange(len(origins))
    n = origins.astype(np.float64)
    damped = _aicc(p.sse[rows, best], n, 5) < _aicc(sse_n, n, 2)
    powers = np.cumsum(phi[best][:, None] ** np.arange(1, horizon + 1)[None, :], axis=1)
    trended = p.level[rows, best][:, None] + powers * p.trend[rows, best][:, None]
    flat = np.repeat(level[:, None], horizon, axis=1)
    return np.where(damped[:, None], trended, flat)
