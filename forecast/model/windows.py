"""Supervised windows over model-space series, all numpy.

Windows over ``z`` (a series after its ``transforms.SeriesTransform``) are
``sliding_window_view`` views; a batch is gathered from the view and, with the default
``window`` scaler, each window is shifted by its own level (the mean of its last
``level_len`` inputs) so a trending series never leaves the range seen in training.
``model_inputs`` adds the calendar and covariate features a network reads.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from forecast.model.missing import bridged, observed

__all__ = [
    "make_panel",
    "split_panel",
    "WindowSet",
    "make",
    "normalise_inputs",
    "model_inputs",
    "Calendar",
]


def normalise_inputs(x: np.ndarray, level_len: int) -> tuple[np.ndarray, np.ndarray]:
    """Shift each input window (rows of ``x``) by the mean of its last ``level_len`` values.

    Returns ``(x - level, level)`` with ``level`` of shape (n, 1); level 0 when level_len is 0.
    """
    if level_len == 0:
        return x, np.zeros((x.shape[0], 1), dtype=x.dtype)
    level = x[:, -level_len:].mean(axis=1, keepdims=True)
    return x - level, level


@dataclass(frozen=True)
class Calendar:
    """Calendar inputs: sin and cos of each step's slot in the season (month of year, weekday...).

    The targets' slots follow from the last input's, so only input steps carry them.
    """

    season: int
    phase: int  # slot of grid position 0

    FEATURES = 2

    def features(self, first: np.ndarray, steps: int) -> np.ndarray:
        """(n, steps, 2) float32 for windows whose first input sits at grid position ``first``."""
        slot = (np.asarray(first, dtype=np.int64)[:, None] + np.arange(steps) + self.phase) % self.season
        angle = (2 * np.pi / self.season) * slot
        return np.stack([np.sin(angle), np.cos(angle)], axis=-1).astype(np.float32)


def model_inputs(
    x: np.ndarray,
    first: np.ndarray | None,
    calendar: Calendar | None,
    exog: np.ndarray | None = None,
    observed: np.ndarray | None = None,
) -> np.ndarray:
    """Network inputs (n, steps, features) float32: the values, for a ``--missing-flag`` run the
    indicator ``1 - observed`` (``observed``: (n, steps) flags, 1 where a value was seen), calendar features
    if any, then covariate features ``exog`` (n, steps, k) if any (last: the head reads them).

    The indicator is off by default: on 5 single series with 10% of values missing (2 seeds) it
    made hold-out MASE 0.818 against 0.722 without it (complete series: 0.698)."""
    parts = [x.astype(np.float32)[:, :, None]]
    if observed is not None:
        parts.append((1.0 - observed.astype(np.float32, copy=False))[:, :, None])
    if calendar is not None and first is not None:
        parts.append(calendar.features(first, x.shape[1]))
    if exog is not None and exog.shape[-1]:
        parts.append(exog.astype(np.float32, copy=False))
    return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=-1)


@dataclass
class WindowSet:
    """Windows over one model-space series, as a view; ``batch`` gathers and normalises."""

    windows: np.ndarray  # (n_windows, lookback + out_len), a view on the series
    lookback: int
    out_len: int
    level_len: int
    positions: np.ndarray | None = None  # grid position of each window's first input
    calendar: Calendar | None = None
    exog: np.ndarray | None = None  # (values, k) covariate features aligned with the series
    targets: np.ndarray | None = None  # masked runs: windows over the series with NaN kept
    observed: np.ndarray | None = None  # masked runs: 1 where a value is observed, 0 where missing
    flag: bool = False  # --missing-flag: the network reads 1 - observed as one more input

    def __len__(self) -> int:
        return self.windows.shape[0]

    def batch(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Inputs (b, lookback, features) and targets (b, out_len), float32, level-normalised."""
        w = self.windows[idx]  # (b, lookback + out_len): the only copy
        steps = np.asarray(idx)[:, None] + np.arange(self.lookback)
        flags = None if self.observed is None else self.observed[steps]
        x = w[:, : self.lookback] if flags is None else bridged(w[:, : self.lookback], flags)
        x, level = normalise_inputs(x, self.level_len)
        y = (w if self.targets is None else self.targets[idx])[:, self.lookback :] - level  # NaN: masked
        first = None if self.positions is None else self.positions[idx]
        exog = None if self.exog is None else self.exog[steps]  # (b, lookback, k)
        return model_inputs(x, first, self.calendar, exog, flags if self.flag else None), y.astype(np.float32)


def make(
    z: np.ndarray,
    lookback: int,
    out_len: int,
    level_len: int,
    positions: np.ndarray | None = None,
    calendar: Calendar | None = None,
    exog: np.ndarray | None = None,
    targets: np.ndarray | None = None,
    flag: bool = False,
) -> WindowSet:
    """All windows of ``lookback`` inputs followed by ``out_len`` targets (no copies).

    ``positions`` (one per value of ``z``) place the windows on the grid for ``calendar``;
    ``exog`` (one row per value of ``z``) holds covariate features. ``targets``: a masked
    run's series with NaN where values are missing (``z`` then holds ``missing.carried``
    values); the windows take their targets from it and bridge their missing inputs (``missing.bridged``).
    """
    width = lookback + out_len

    def view(values: np.ndarray) -> np.ndarray:
        if len(values) < width:
            return np.empty((0, width), dtype=np.float64)
        return sliding_window_view(np.asarray(values, dtype=np.float64), width)

    first = None if positions is None or calendar is None else np.asarray(positions, dtype=np.int64)
    masked = None if targets is None else view(targets)
    flags = None if targets is None else observed(targets)
    return WindowSet(view(z), lookback, out_len, level_len, first, calendar, exog, masked, flags, flag)


def make_panel(
    z: list[np.ndarray],
    lookback: int,
    out_len: int,
    level_len: int,
    positions: list[np.ndarray] | None = None,
    calendar: Calendar | None = None,
    exog: list[np.ndarray] | None = None,
    targets: list[np.ndarray] | None = None,
    flag: bool = False,
) -> WindowSet:
    """Windows over the series laid end to end; use ``split_panel`` starts, never crossing series."""
    flat = np.concatenate(z) if z else np.empty(0)
    pos = None if positions is None or calendar is None else np.concatenate(positions) if positions else None
    features = np.concatenate(exog) if exog else None
    masked = None if targets is None else np.concatenate(targets) if targets else np.empty(0)
    return make(flat, lookback, out_len, level_len, pos, calendar, features, masked, flag)


def split_panel(
    lengths: np.ndarray, width: int, out_len: int, val_size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Training and validation window starts (into the concatenated series), per series by time.

    Validation windows of a series have all their targets in its last ``val_size`` values;
    its training windows end before those values start, so none is trained on.
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    offsets = np.cumsum(lengths) - lengths
    counts = np.maximum(lengths - width + 1, 0)
    series = np.repeat(np.arange(len(lengths)), counts)
    local = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    starts = offsets[series] + local
    if val_size < out_len:
        return starts, starts[:0]
    cut = lengths[series] - val_size
    return starts[local + width <= cut], starts[local + width - out_len >= cut]
