"""Missing target values (``--fill mask``), numpy only. A masked series keeps NaN where a value
is missing. Its transform is fitted on ``interpolated`` values, with seasonal indices from the
observed values only (``transforms.fit_transform``). The network reads model-space values:
``carried`` (the last observed one) and, inside each input window, ``bridged`` (a straight
line to the next observed one in the window), so a missing month keeps its season and no
target leaks into the inputs; ``observed`` gives the 0/1 flags it reads. No indicator input
is added (measured: it made forecasts worse, see ``windows.model_inputs``). Targets stay NaN:
``loop.MaskedLoss`` skips them in training, the scores skip them too; the baselines forecast
from the last observed raw values.
"""

from __future__ import annotations

import numpy as np

__all__ = ["carried", "interpolated", "observed", "bridged", "trailing"]


def observed(y: np.ndarray) -> np.ndarray:
    """1.0 where ``y`` holds a value, 0.0 where it is missing (float32)."""
    return np.isfinite(np.asarray(y, dtype=np.float64)).astype(np.float32)


def carried(y: np.ndarray) -> np.ndarray:
    """``y`` with each NaN replaced by the last observed value before it (the first observed
    value for leading NaN); ``y`` itself when nothing is missing. Causal inside the data: a
    window's inputs never read a value after them."""
    y = np.asarray(y, dtype=np.float64)
    missing = np.isnan(y)
    if not missing.any():
        return y
    seen = np.flatnonzero(~missing)
    if not len(seen):
        raise ValueError("a series with no observed value")  # data.gaps refuses these
    last = np.maximum.accumulate(np.where(missing, 0, np.arange(len(y))))
    last[: seen[0]] = seen[0]
    return y[last]


def interpolated(y: np.ndarray) -> np.ndarray:
    """``y`` with each NaN linearly interpolated between its observed neighbours (held flat
    before the first and after the last); ``y`` itself when nothing is missing."""
    y = np.asarray(y, dtype=np.float64)
    missing = np.isnan(y)
    if not missing.any():
        return y
    at = np.arange(len(y))
    return np.interp(at, at[~missing], y[~missing])


def bridged(x: np.ndarray, flags: np.ndarray) -> np.ndarray:
    """Input windows (n, steps) of carried values with the missing ones (``flags`` 0) replaced
    by a straight line from the last observed value (``x`` holds it there, even from before the
    window) to the next observed one inside the window; carried where none follows. Reads only
    the window itself, as the forecast from its end will: no target leaks into the inputs."""
    miss = flags == 0
    if not miss.any():
        return x
    steps = x.shape[1]
    at = np.arange(steps)
    after = np.minimum.accumulate(np.where(miss, steps, at)[:, ::-1], axis=1)[:, ::-1]
    before = np.maximum.accumulate(np.where(miss, -1, at), axis=1)
    ahead = np.take_along_axis(x, np.minimum(after, steps - 1), axis=1)
    share = (at - before) / np.maximum(after - before, 1)
    line = x + (ahead - x) * share
    return np.where(miss & (after < steps), line, x)


def trailing(y: np.ndarray) -> int:
    """How many values at the end of ``y`` are missing (0 for a series that ends observed)."""
    seen = np.flatnonzero(np.isfinite(np.asarray(y, dtype=np.float64)))
    return len(y) - 1 - int(seen[-1]) if len(seen) else len(y)
