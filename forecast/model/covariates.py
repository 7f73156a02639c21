"""Covariates as network inputs, all numpy.

Two kinds of extra columns ride along with the values:

- past-observed (``--covariate``): known up to the last observation only. Each input step
  carries the covariate of its own date; when the forecast rolls past the last observation
  they are held at their last observed value.
- known ahead (``--future-covariate``): prices, promotions, holidays. Each input step
  carries the value of its own date and the value ``lead`` steps later, where ``lead`` is
  the model's output length. So the last ``lead`` input steps bring the values of exactly
  the dates being forecast, and the network needs no separate decoder.

Every covariate is standardised per series with the mean and standard deviation of the
training rows, except 0/1 indicators, which stay as they are (``CovariateScale``, kept as
plain JSON numbers in series.json).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from forecast.core.errors import RunError

__all__ = [
    "Covariates",
    "CovariateScale",
    "fit_scales",
    "scales_to_dict",
    "scales_from_dict",
    "features",
    "hold_past",
    "rolled_steps",
    "roll_extra",
]


@dataclass(frozen=True)
class Covariates:
    """How many covariates of each kind, and how far ahead the known-ahead ones are read."""

    past: int
    future: int
    lead: int  # the model's output length: steps produced per forward pass

    @property
    def features(self) -> int:
        """Input features they add: one per past covariate, two per known-ahead one."""
        return self.past + 2 * self.future


@dataclass(frozen=True)
class CovariateScale:
    """``(x - shift) / scale`` per covariate of one series."""

    shift: tuple[float, ...]
    scale: tuple[float, ...]

    def apply(self, raw: np.ndarray) -> np.ndarray:
        return (np.asarray(raw, dtype=np.float64) - np.asarray(self.shift)) / np.asarray(self.scale)


def fit_scales(raw: Sequence[np.ndarray]) -> list[CovariateScale]:
    """Mean and standard deviation of each series' training rows (scale 1 for a constant column).

    0/1 indicator columns (every training value 0 or 1, in every series) stay as they are: a
    promotion is 1 in a series with one promotion as in a series with many, where
    standardising would make the same event 7 in one and 2 in the other."""
    width = raw[0].shape[1] if len(raw) else 0
    flags = np.array([all(np.isin(x[:, c], (0.0, 1.0)).all() for x in raw) for c in range(width)], dtype=bool)
    out = []
    for x in raw:
        x = np.asarray(x, dtype=np.float64)
        mean = x.mean(axis=0) if len(x) else np.zeros(x.shape[1])
        std = x.std(axis=0) if len(x) else np.ones(x.shape[1])
        std = np.where(np.isfinite(std) & (std > 1e-12 * np.maximum(np.abs(mean), 1.0)) & ~flags, std, 1.0)
        mean = np.where(np.isfinite(mean) & ~flags, mean, 0.0)
        out.append(CovariateScale(tuple(map(float, mean)), tuple(map(float, std))))
    return out


def features(
    raw: np.ndarray, observed: int, scale: CovariateScale, spec: Covariates, extra: int = 0
) -> np.ndarray:
    """Per-position inputs (observed + extra, spec.features) float32 for one series.

    ``raw`` (rows, past + future) holds the covariates from the series' first date; its first
    ``observed`` rows are the history, later rows (if any) the known-ahead values of the dates
    after it (their past columns are ignored). Past covariates beyond the history repeat the
    last observed value; known-ahead ones beyond ``raw`` repeat its last row.
    """
    z = scale.apply(raw)
    total = observed + extra
    steps = np.arange(total)
    past = z[np.minimum(steps, observed - 1), : spec.past]
    ahead = z[:, spec.past :]
    last = len(ahead) - 1
    now = ahead[np.minimum(steps, last)]
    later = ahead[np.minimum(steps + spec.lead, last)]
    return np.concatenate([past, now, later], axis=1).astype(np.float32)


def hold_past(window: np.ndarray, known: int, past: int) -> np.ndarray:
    """``window`` (n, steps, features) with the ``past`` past-covariate columns after step
    ``known`` held at their last known value: what an origin inside the data knows of them."""
    out = np.array(window, dtype=np.float32)
    if past and out.shape[1] > known:
        out[:, known:, :past] = out[:, known - 1 : known, :past]
    return out


def rolled_steps(horizon: int, out_len: int) -> int:
    """Steps a roll-forward of ``horizon`` produces: ``horizon`` rounded up to whole model
    outputs of ``out_len`` steps (each pass of the network gives ``out_len``; the surplus is cut)."""
    return math.ceil(horizon / out_len) * out_len


def roll_extra(horizon: int, lead: int) -> int:
    """Positions after an origin that a roll-forward of ``horizon`` steps reads inputs at: all
    it produces but the last pass's output, which no later pass reads."""
    return rolled_steps(horizon, lead) - lead


def scales_to_dict(scales: Sequence[CovariateScale]) -> dict[str, Any]:
    """Columnar JSON form: one list of per-covariate numbers per series."""
    return {"shift": [list(s.shift) for s in scales], "scale": [list(s.scale) for s in scales]}


def scales_from_dict(raw: Any, count: int, width: int) -> list[CovariateScale]:
    """Inverse of ``scales_to_dict``; RunError unless ``count`` series of ``width`` finite numbers."""
    try:
        shift, scale = raw["shift"], raw["scale"]
        rows = [
            CovariateScale(tuple(float(v) for v in shift[k]), tuple(float(v) for v in scale[k]))
            for k in range(count)
        ]
    except (KeyError, TypeError, ValueError, IndexError):
        raise RunError("series.json: 'covariate_scale' is missing or malformed; train again") from None
    if len(shift) != count or len(scale) != count:
        raise RunError(f"series.json: 'covariate_scale' does not hold {count} series")
    for r in rows:
        ok = len(r.shift) == width == len(r.scale) and all(math.isfinite(v) for v in (*r.shift, *r.scale))
        if not ok or min(r.scale, default=1.0) <= 0:
            raise RunError("series.json: 'covariate_scale' holds non-finite or out-of-range numbers")
    return rows
