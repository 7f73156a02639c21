"""Series transforms, all numpy: a series ``y`` becomes ``z = deseason(scale(y))`` through a
``SeriesTransform`` fitted on the training part only (log1p or a scaler, then additive seasonal
indices where the season is significant) and stored as plain JSON numbers in series.json;
``TransformRows`` applies many series' transforms at once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from forecast.core.choices import Deseason, Scaler
from forecast.core.errors import RunError

__all__ = [
    "SeriesTransform",
    "TransformRows",
    "fit_transform",
    "fit_transforms",
    "panel_step",
    "transforms_to_dict",
    "transforms_from_dict",
    "seasonal_indices",
    "seasonality_test",
    "log_step",
]


@dataclass(frozen=True)
class SeriesTransform:
    """``z = (f(y) - shift) / scale - seasonal[pos % season]`` with ``f`` = log1p or identity."""

    scaler: str
    log: bool
    shift: float
    scale: float
    season: int
    seasonal: tuple[float, ...] | None
    level_len: int  # 0: no per-window level; else mean of the last level_len inputs

    def forward(self, y: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """Raw values -> model space (float64)."""
        with np.errstate(over="ignore", invalid="ignore"):
            f = np.log1p(y) if self.log else np.asarray(y, dtype=np.float64)
            z = (f - self.shift) / self.scale
        if self.seasonal is not None:
            z = z - np.asarray(self.seasonal)[np.asarray(positions) % self.season]
        return z

    def inverse(self, z: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """Model space -> raw values."""
        z = np.asarray(z, dtype=np.float64)
        if self.seasonal is not None:
            z = z + np.asarray(self.seasonal)[np.asarray(positions) % self.season]
        with np.errstate(over="ignore", invalid="ignore"):
            f = z * self.scale + self.shift
            return np.expm1(f) if self.log else f

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["seasonal"] = list(self.seasonal) if self.seasonal is not None else None
        return out

    @classmethod
    def from_dict(cls, raw: Any) -> SeriesTransform:
        """Rebuild from JSON, checking every field; RunError when anything is off."""
        try:
            seasonal = raw["seasonal"]
            t = cls(
                scaler=str(Scaler(raw["scaler"]).value),
                log=bool(raw["log"]),
                shift=float(raw["shift"]),
                scale=float(raw["scale"]),
                season=int(raw["season"]),
                seasonal=None if seasonal is None else tuple(float(v) for v in seasonal),
                level_len=int(raw["level_len"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise RunError(f"config.json: invalid 'transform' section ({exc})") from None
        finite = [t.shift, t.scale, *(t.seasonal or ())]
        if not all(math.isfinite(v) for v in finite) or t.scale <= 0 or t.season < 1:
            raise RunError("config.json: 'transform' holds non-finite or out-of-range numbers")
        if t.seasonal is not None and len(t.seasonal) != t.season:
            raise RunError("config.json: 'transform.seasonal' length differs from its season")
        return t


@dataclass(frozen=True)
class TransformRows:
    """Many series' transforms as arrays: ``forward``/``inverse`` on (n_series, steps) at once."""

    log: np.ndarray  # (n,) bool
    shift: np.ndarray  # (n,)
    scale: np.ndarray  # (n,)
    seasonal: np.ndarray  # (n, season); zeros where a series has none

    @classmethod
    def stack(cls, transforms: Sequence[SeriesTransform]) -> TransformRows:
        # as wide as the seasonal indices actually held (every series shares the run's season)
        season = max((t.season for t in transforms if t.seasonal is not None), default=1)
        seasonal = np.zeros((len(transforms), season))
        for k, t in enumerate(transforms):
            if t.seasonal is not None:
                seasonal[k, : t.season] = t.seasonal
        return cls(
            np.array([t.log for t in transforms], dtype=bool),
            np.array([t.shift for t in transforms], dtype=np.float64),
            np.array([t.scale for t in transforms], dtype=np.float64),
            seasonal,
        )

    def _season(self, positions: np.ndarray) -> np.ndarray:
        return np.take_along_axis(self.seasonal, np.asarray(positions) % self.seasonal.shape[1], axis=1)

    def forward(self, y: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """Raw (n, steps) -> model space, each row by its own series' transform."""
        y = np.asarray(y, dtype=np.float64)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            f = np.where(self.log[:, None], np.log1p(np.where(self.log[:, None], y, 0.0)), y)
            return (f - self.shift[:, None]) / self.scale[:, None] - self._season(positions)

    def inverse(self, z: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """Model space (n, steps) -> raw values."""
        z = np.asarray(z, dtype=np.float64) + self._season(positions)
        with np.errstate(over="ignore", invalid="ignore"):
            f = z * self.scale[:, None] + self.shift[:, None]
            return np.where(self.log[:, None], np.expm1(np.where(self.log[:, None], f, 0.0)), f)


def fit_transform(
    y: np.ndarray,
    positions: np.ndarray,
    scaler: Scaler,
    deseason: Deseason,
    season: int,
    lookback: int,
    step: float | None = None,
    observed: np.ndarray | None = None,
) -> tuple[SeriesTransform, list[str]]:
    """Fit the transform on the training values ``y`` only. Returns it and any warnings.

    ``step``: with the window scaler, the typical model-space step of the panel's log-scaled
    series (``log_step``); a series with negative values is then scaled so its steps match (a
    plain scale otherwise dwarfs them). ``observed``: False where ``y`` is interpolated (mask).
    """
    warnings: list[str] = []
    y = np.asarray(y, dtype=np.float64)
    log, shift, scale = False, 0.0, 1.0
    level_len = 0
    if scaler is Scaler.window:
        level_len = min(season, lookback) if season > 1 else 1
        if np.min(y) >= 0:
            log = True
        else:
            matched = _step_scale(y, step)
            scale = matched or _robust_scale(y)
            warnings.append(
                "the series has negative values, so the log transform is off; "
                "windows are normalised by their level and a fixed scale instead"
                + (" (matched to the log-scaled series' step size)" if matched else "")
            )
    elif scaler is Scaler.standard:
        from sklearn.preprocessing import StandardScaler

        fitted = StandardScaler().fit(y.reshape(-1, 1))
        shift, scale = float(fitted.mean_[0]), float(fitted.scale_[0])
    elif scaler is Scaler.minmax:
        from sklearn.preprocessing import MinMaxScaler

        fitted = MinMaxScaler().fit(y.reshape(-1, 1))
        shift, scale = float(fitted.data_min_[0]), float(fitted.data_range_[0])
    if not (math.isfinite(shift) and math.isfinite(scale)) or scale <= 0:
        scale = _robust_scale(y)
        shift = 0.0
        warnings.append(
            f"the {scaler.value} scaler cannot scale these values (constant, or too large); used a plain scale"
        )
    base = SeriesTransform(scaler.value, log, shift, scale, season, None, level_len)
    if deseason is Deseason.off or season < 2:
        return base, warnings
    z = base.forward(y, positions)
    if len(z) < 3 * season:
        if deseason is Deseason.on:
            warnings.append(f"too short to deseasonalise ({len(z)} < 3 x season {season}); left as is")
        return base, warnings
    if deseason is Deseason.auto and not seasonality_test(z, season):
        return base, warnings
    indices = _indices(z, positions, season, observed)
    return SeriesTransform(scaler.value, log, shift, scale, season, indices, level_len), warnings


def _indices(
    z: np.ndarray, positions: np.ndarray, season: int, observed: np.ndarray | None
) -> tuple[float, ...]:
    """``seasonal_indices``; with gaps (``observed`` False: interpolated values), a second pass
    fills them from the first pass's season before the trend is taken again. Measured on a
    peaky seasonal series with 16 of 144 values missing, 3 seeds: hold-out MASE 0.81 -> 0.71."""
    indices = seasonal_indices(z, positions, season, observed)
    if observed is None or np.all(observed):
        return indices
    seen = np.asarray(observed, dtype=bool)
    slot = np.asarray(indices)[np.asarray(positions) % season]
    flat = z - slot
    flat[~seen] = np.interp(np.flatnonzero(~seen), np.flatnonzero(seen), flat[seen])
    return seasonal_indices(flat + slot, positions, season, observed)


def _robust_scale(y: np.ndarray) -> float:
    """A positive, finite scale for ``y``: median of |y|, else max of |y|, else 1."""
    a = np.abs(y[np.isfinite(y)])
    for value in (np.median(a) if a.size else 0.0, np.max(a) if a.size else 0.0):
        if math.isfinite(value) and value > 0:
            return float(value)
    return 1.0


def _mean_step(z: np.ndarray) -> float:
    d = np.abs(np.diff(np.asarray(z, dtype=np.float64)))
    d = d[np.isfinite(d)]
    return float(d.mean()) if d.size else math.nan


def log_step(series: Sequence[np.ndarray]) -> float | None:
    """Median over the non-negative series of their mean |step| in log1p space; None if none."""
    steps = [_mean_step(np.log1p(y)) for y in series if len(y) > 1 and np.min(y) >= 0]
    steps = [v for v in steps if math.isfinite(v) and v > 0]
    return float(np.median(steps)) if steps else None


def _step_scale(y: np.ndarray, step: float | None) -> float | None:
    """The scale that gives ``y`` a mean |step| of ``step`` in model space (None if undefined)."""
    if step is None:
        return None
    scale = _mean_step(y) / step
    return scale if math.isfinite(scale) and scale > 0 else None


def seasonality_test(z: np.ndarray, season: int) -> bool:
    """Theta's 90% test: is the lag-``season`` autocorrelation significant?"""
    x = z - z.mean()
    denom = float(np.dot(x, x))
    if denom == 0.0 or len(z) <= season:
        return False
    acf = np.array([np.dot(x[: len(x) - k], x[k:]) / denom for k in range(1, season + 1)])
    limit = 1.645 * math.sqrt((1 + 2 * float(np.sum(acf[:-1] ** 2))) / len(z))
    return bool(abs(acf[-1]) > limit)


def seasonal_indices(
    z: np.ndarray, positions: np.ndarray, season: int, observed: np.ndarray | None = None
) -> tuple[float, ...]:
    """Additive seasonal indices by ``position % season`` from a centred moving average, over
    the ``observed`` values only when given."""
    if season % 2 == 0:  # 2 x m moving average
        weights = np.r_[0.5, np.ones(season - 1), 0.5] / season
    else:
        weights = np.ones(season) / season
    trend = np.convolve(z, weights, mode="valid")
    half = (len(weights) - 1) // 2
    detrended = z[half : half + len(trend)] - trend
    slots = np.asarray(positions)[half : half + len(trend)] % season
    if observed is not None:
        seen = np.asarray(observed, dtype=bool)[half : half + len(trend)]
        slots, detrended = slots[seen], detrended[seen]
    sums = np.bincount(slots, weights=detrended, minlength=season)
    counts = np.bincount(slots, minlength=season)
    indices = sums / np.maximum(counts, 1)
    indices -= indices.mean()
    return tuple(float(v) for v in indices)


def panel_step(series: Sequence[np.ndarray], scaler: Scaler) -> float | None:
    """The step ``fit_transforms`` scales a panel's negative-valued series to: ``log_step`` in
    a window-scaled panel that mixes series with and without negative values, else None.
    A run keeps it (series.json) so a series it never saw is scaled the same way."""
    mixed = scaler is Scaler.window and len(series) > 1 and any(len(y) and np.min(y) < 0 for y in series)
    return log_step(series) if mixed else None


def fit_transforms(
    series: list[np.ndarray],
    positions: list[np.ndarray],
    scaler: Scaler,
    deseason: Deseason,
    season: int,
    lookback: int,
    observed: list[np.ndarray] | None = None,
) -> tuple[list[SeriesTransform], list[str]]:
    """``fit_transform`` for each series (``observed[k]``: its flags, ``--fill mask``); repeated
    warnings are merged with a count.

    In a panel that mixes series with and without negative values (window scaler), the latter
    are scaled to the log-scaled series' typical step (``log_step``), so no scale group
    dominates the shared loss or early stopping."""
    transforms, counts = [], {}
    step = panel_step(series, scaler)
    for k, (y, pos) in enumerate(zip(series, positions)):
        seen = None if observed is None else observed[k]
        t, warnings = fit_transform(y, pos, scaler, deseason, season, lookback, step, seen)
        transforms.append(t)
        for w in warnings:
            counts[w] = counts.get(w, 0) + 1
    if len(series) == 1:
        return transforms, list(counts)
    return transforms, [f"{n} of {len(series)} series: {w}" for w, n in counts.items()]


_FIELDS = ("log", "shift", "scale", "season", "seasonal", "level_len")


def transforms_to_dict(transforms: list[SeriesTransform]) -> dict[str, Any]:
    """Columnar JSON form of many transforms (one list per field)."""
    out: dict[str, Any] = {"scaler": transforms[0].scaler if transforms else Scaler.window.value}
    for name in _FIELDS:
        out[name] = [getattr(t, name) if name != "seasonal" else t.to_dict()["seasonal"] for t in transforms]
    return out


def transforms_from_dict(raw: Any, count: int) -> list[SeriesTransform]:
    """Inverse of ``transforms_to_dict``; RunError if a field is missing or the lengths differ."""
    if not isinstance(raw, dict) or any(not isinstance(raw.get(f), list) for f in _FIELDS):
        raise RunError("series.json: transform fields are missing or not lists")
    if any(len(raw[f]) != count for f in _FIELDS):
        raise RunError(f"series.json: transform lists do not all hold {count} series")
    return [
        SeriesTransform.from_dict({"scaler": raw.get("scaler"), **{f: raw[f][k] for f in _FIELDS}})
        for k in range(count)
    ]
