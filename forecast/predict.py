"""Forecast from the last window: model-space roll-forward, then back to raw values."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from forecast.windows import SeriesTransform, normalise_inputs

__all__ = ["roll_forward", "forecast_values"]


def roll_forward(
    model: nn.Module, z_hist: np.ndarray, lookback: int, level_len: int, horizon: int
) -> np.ndarray:
    """``horizon`` model-space values after ``z_hist``.

    The model gives ``output_size`` steps at a time (the trained horizon, or 1 for
    many-to-one); longer horizons feed its own outputs back as inputs.
    """
    device = next(model.parameters()).device
    window = np.asarray(z_hist[-lookback:], dtype=np.float64)
    produced: list[np.ndarray] = []
    count = 0
    model.eval()
    with torch.no_grad():
        while count < horizon:
            x, level = normalise_inputs(window[None, :], level_len)  # (1, lookback), (1, 1)
            inputs = torch.from_numpy(x.astype(np.float32)).unsqueeze(-1).to(device)
            out = model(inputs).double().cpu().numpy() + level  # (1, output_size)
            step = out[0]
            produced.append(step)
            count += len(step)
            window = np.concatenate([window, step])[-lookback:]
    return np.concatenate(produced)[:horizon]


def forecast_values(
    model: nn.Module,
    transform: SeriesTransform,
    y_hist: np.ndarray,
    first_position: int,
    lookback: int,
    horizon: int,
) -> np.ndarray:
    """Raw-scale forecasts for the ``horizon`` steps after ``y_hist``.

    ``first_position`` is the seasonal position of ``y_hist[0]`` (steps from the anchor).
    """
    positions = first_position + np.arange(len(y_hist))
    z_hist = transform.forward(y_hist, positions)
    z_future = roll_forward(model, z_hist, lookback, transform.level_len, horizon)
    future_positions = first_position + len(y_hist) + np.arange(horizon)
    return transform.inverse(z_future, future_positions)
