"""The training loop: ``fit(model, train, val, cfg, on_epoch) -> TrainResult``.

Adam, MAE or MSE loss in model space, gradient-norm clipping, early stopping on the
validation loss with the best weights restored. Progress leaves only through ``on_epoch``.
"""

from __future__ import annotations

import copy
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from forecast.config import Device, Loss, TrainConfig
from forecast.errors import TrainingError, UsageError
from forecast.windows import WindowSet

__all__ = [
    "EpochInfo",
    "TrainResult",
    "fit",
    "resolve_device",
    "seed_everything",
    "auto_batch_size",
    "choose_threads",
]

_MAX_VAL_WINDOWS = 20_000  # a fixed random subset beyond this keeps validation cheap
_EVAL_BATCH = 4096


@dataclass(frozen=True)
class EpochInfo:
    """What ``on_epoch`` receives after each epoch."""

    epoch: int  # 1-based
    epochs: int
    loss: float
    val_loss: float | None
    best_epoch: int


@dataclass
class TrainResult:
    """Outcome of ``fit``: the best epoch (1-based), per-epoch losses and wall time."""

    best_epoch: int
    epochs_run: int
    stopped_early: bool
    seconds: float
    history: list[tuple[int, float, float | None]] = field(default_factory=list)


def resolve_device(device: Device) -> torch.device:
    """``auto`` picks CUDA when present; asking for CUDA without a GPU is a usage error."""
    if device is Device.cpu:
        return torch.device("cpu")
    if torch.cuda.is_available():
        return torch.device("cuda")
    if device is Device.cuda:
        raise UsageError("--device cuda was asked for but torch sees no CUDA GPU; use --device cpu")
    return torch.device("cpu")


def choose_threads(batch_size: int) -> int:
    """CPU threads for torch: 1 for small batches, where a second thread costs more in
    synchronisation than it gains (and collapses when another process shares the cores),
    else up to 4. Depends only on the settings and the core count, so runs stay
    reproducible; FORECAST_THREADS overrides it."""
    override = os.environ.get("FORECAST_THREADS", "")
    if override.isdigit() and int(override) > 0:
        return int(override)
    return 1 if batch_size < 512 else max(1, min(os.cpu_count() or 1, 4))


def auto_batch_size(n_windows: int) -> int:
    """About 16 batches per epoch, as a power of two between 32 and 1024."""
    target = max(n_windows / 16, 1)
    return int(min(1024, max(32, 2 ** round(math.log2(target)))))


def seed_everything(seed: int) -> np.random.Generator:
    """Seed torch (CPU and CUDA) and return the numpy generator used for shuffling."""
    torch.manual_seed(seed)
    return np.random.default_rng(seed)


def fit(
    model: nn.Module,
    train: WindowSet,
    train_idx: np.ndarray,
    val_idx: np.ndarray,
    cfg: TrainConfig,
    rng: np.random.Generator,
    epochs: int | None = None,
    on_epoch: Callable[[EpochInfo], None] | None = None,
) -> TrainResult:
    """Train ``model`` in place on windows ``train_idx``; early-stop on ``val_idx`` if any.

    ``epochs`` overrides ``cfg.epochs`` (the refit trains exactly the best epoch count).
    """
    if len(train_idx) == 0:
        raise TrainingError("no training windows: the series is too short for lookback + horizon")
    total = epochs or cfg.epochs
    per_epoch = min(len(train_idx), cfg.windows_per_epoch)
    batch_size = cfg.batch_size or auto_batch_size(per_epoch)
    device = resolve_device(cfg.device)
    torch.set_num_threads(choose_threads(batch_size))
    model.to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    loss_fn: nn.Module = nn.L1Loss() if cfg.loss is Loss.mae else nn.MSELoss()
    if len(val_idx) > _MAX_VAL_WINDOWS:
        val_idx = np.sort(rng.choice(val_idx, _MAX_VAL_WINDOWS, replace=False))
    val = val_idx if len(val_idx) else None
    best_loss, best_epoch, best_state = math.inf, 0, None
    history: list[tuple[int, float, float | None]] = []
    start = time.perf_counter()
    stopped_early = False
    for epoch in range(1, total + 1):
        model.train()
        order = rng.permutation(train_idx)[:per_epoch]  # a fresh sample each epoch
        running, seen = 0.0, 0
        for lo in range(0, len(order), batch_size):
            x, y = _tensors(train, order[lo : lo + batch_size], device)
            optimiser.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), y)
            if not torch.isfinite(loss):
                raise TrainingError(
                    f"training diverged: loss became {loss.item()} in epoch {epoch}; "
                    "lower --lr, keep --clip-grad on, or try --scaler window"
                )
            loss.backward()
            if cfg.clip_grad:
                nn.utils.clip_grad_norm_(model.parameters(), cfg.clip_grad)
            optimiser.step()
            running += loss.item() * len(x)
            seen += len(x)
        train_loss = running / seen
        val_loss = _evaluate(model, loss_fn, train, val, device) if val is not None else None
        score = val_loss if val_loss is not None else train_loss
        if score < best_loss:
            best_loss, best_epoch = score, epoch
            if val is not None:
                best_state = copy.deepcopy(model.state_dict())
        history.append((epoch, train_loss, val_loss))
        if on_epoch is not None:
            on_epoch(EpochInfo(epoch, total, train_loss, val_loss, best_epoch))
        if val is not None and epoch - best_epoch >= cfg.patience:
            stopped_early = True
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    else:
        best_epoch = len(history)  # no validation: the last epoch is the model we keep
    model.eval()
    return TrainResult(best_epoch, len(history), stopped_early, time.perf_counter() - start, history)


def _tensors(ws: WindowSet, idx: np.ndarray, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = ws.batch(idx)
    return torch.from_numpy(x).unsqueeze(-1).to(device), torch.from_numpy(y).to(device)


def _evaluate(
    model: nn.Module, loss_fn: nn.Module, ws: WindowSet, idx: np.ndarray, device: torch.device
) -> float:
    """Mean loss over the windows ``idx``, in batches (weighted by batch size)."""
    model.eval()
    total = 0.0
    with torch.no_grad():
        for lo in range(0, len(idx), _EVAL_BATCH):
            x, y = _tensors(ws, idx[lo : lo + _EVAL_BATCH], device)
            total += float(loss_fn(model(x), y).item()) * len(x)
    value = total / len(idx)
    if not math.isfinite(value):
        raise TrainingError("validation loss is not finite; lower --lr or check the data scale")
    return value
