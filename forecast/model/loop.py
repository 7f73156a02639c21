"""The training loop: ``fit(model, train, val, cfg, on_epoch) -> TrainResult``.

Adam, MAE or MSE loss in model space, gradient-norm clipping, early stopping on the
validation loss with the best weights restored. Progress leaves only through ``on_epoch``.
Under torchrun (``ctx``) the model is wrapped in DistributedDataParallel, each process takes
its shard of every batch, and the losses are summed over processes so that all of them make
the same early-stopping decision.
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

from forecast.core.choices import Device, Loss, Schedule
from forecast.core.config import TrainConfig
from forecast.core.errors import TrainingError, UsageError
from forecast.model import distributed
from forecast.model.optim import Adam, OneCycle
from forecast.model.windows import WindowSet

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
WARM_LR = 0.5  # a warm refit continues at this fraction of --lr


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
    batch_size: int = 0  # the global batch it trained with (a warm continuation keeps it)


def resolve_device(device: Device) -> torch.device:
    """``auto`` picks CUDA when present; asking for CUDA without a GPU is a usage error."""
    if device is Device.cpu:
        return torch.device("cpu")
    if torch.cuda.is_available():
        return torch.device("cuda")
    if device is Device.cuda:
        raise UsageError("--device cuda was asked for but torch sees no CUDA GPU; use --device cpu")
    return torch.device("cpu")


def choose_threads(batch_size: int, processes: int = 1) -> int:
    """CPU threads for torch: 1 for small batches, where a second thread costs more in
    synchronisation than it gains (and collapses when another process shares the cores),
    else up to 4, and at most this process's share of the cores when ``processes`` run on
    the machine (torchrun). Depends only on the settings and the core count, so runs stay
    reproducible; FORECAST_THREADS overrides it."""
    override = os.environ.get("FORECAST_THREADS", "")
    if override.isdigit() and int(override) > 0:
        return int(override)
    cores = max(1, (os.cpu_count() or 1) // max(processes, 1))
    return 1 if batch_size < 512 else max(1, min(cores, 4))


# Batches per epoch the automatic batch size aims at. One-cycle trains a fixed, short budget, so
# it needs more (smaller) steps than plateau's long run: M3 quarterly (9,000 windows an epoch),
# 2 seeds, sMAPE 9.53 at 16 batches an epoch vs 9.02 at about 64, equal to plateau's 9.02 in
# a third of its time; a big panel's batch stays at 1024 (docs/benchmarks.md).
BATCHES_PER_EPOCH = {Schedule.plateau: 16, Schedule.onecycle: 64}


def auto_batch_size(n_windows: int, batches: int = BATCHES_PER_EPOCH[Schedule.plateau]) -> int:
    """About ``batches`` batches per epoch, as a power of two between 32 and 1024."""
    target = max(n_windows / batches, 1)
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
    ctx: distributed.Context = distributed.SINGLE,
    warm: bool = False,
) -> TrainResult:
    """Train ``model`` in place on windows ``train_idx``. ``plateau``: keep the weights of the
    epoch with the lowest loss on ``val_idx`` (if any), stop after ``patience`` epochs without a
    new best. ``onecycle``: every epoch, the learning rate rising to ``cfg.lr`` over the first 30%
    of steps and annealing to near zero; keep the last weights (validation is reported only).

    ``epochs`` overrides ``cfg.budget`` (a refit's length); ``warm``: ``model`` is trained
    already, continue at ``WARM_LR`` x ``cfg.lr``, constant. Under torchrun (``ctx``) every
    process calls this with the same arguments and seed: they draw the same permutation and
    each takes ``order[rank::world]``, so an epoch still sees ``windows_per_epoch`` windows."""
    total = epochs or cfg.budget
    per_epoch = _windows_per_epoch(train_idx, cfg, ctx)
    batch_size = cfg.batch_size or auto_batch_size(per_epoch, _batches(cfg))  # the global batch
    step = distributed.local_batch(batch_size, ctx)  # this process's part of it
    net, device = _place(model, cfg, step, ctx)
    optimiser, cycle = _optimiser(
        model, cfg, warm, total * -(-len(distributed.shard(np.arange(per_epoch), ctx)) // step)
    )
    loss_fn = _loss(cfg, train)
    val = _validation_windows(val_idx, rng)
    best_loss, best_epoch, best_state = math.inf, 0, None
    history: list[tuple[int, float, float | None]] = []
    start = time.perf_counter()
    stopped_early = False
    for epoch in range(1, total + 1):
        # a fresh sample each epoch, the same on every process; each takes its shard
        order = distributed.shard(rng.permutation(train_idx)[:per_epoch], ctx)
        train_loss = _train_epoch(
            net, model, train, order, step, device, optimiser, loss_fn, cfg.clip_grad, epoch, ctx, cycle
        )
        val_loss = _evaluate(model, loss_fn, train, val, device, ctx) if val is not None else None
        score = val_loss if val_loss is not None else train_loss
        if score < best_loss:
            best_loss, best_epoch = score, epoch
            if val is not None and cycle is None:  # one-cycle keeps its last, annealed weights
                best_state = copy.deepcopy(model.state_dict())
        history.append((epoch, train_loss, val_loss))
        if on_epoch is not None:
            on_epoch(EpochInfo(epoch, total, train_loss, val_loss, best_epoch))
        if val is not None and cycle is None and epoch - best_epoch >= cfg.patience:
            stopped_early = True
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    else:
        best_epoch = len(history)  # no validation, or one-cycle: the last epoch is the model we keep
    model.eval()
    seconds = time.perf_counter() - start
    return TrainResult(best_epoch, len(history), stopped_early, seconds, history, batch_size)


class MaskedLoss(nn.Module):
    """``base`` (L1 or MSE, mean reduction) over the finite targets only; 0 for a batch with none."""

    def __init__(self, base: nn.Module) -> None:
        super().__init__()
        self.square = isinstance(base, nn.MSELoss)

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        keep = torch.isfinite(target)
        diff = (pred - torch.where(keep, target, pred.detach())) * keep
        cells = diff.square() if self.square else diff.abs()
        return cells.sum() / keep.sum().clamp_min(1)


def _batches(cfg: TrainConfig) -> int:
    return BATCHES_PER_EPOCH[cfg.schedule or Schedule.plateau]


def _loss(cfg: TrainConfig, train: WindowSet) -> nn.Module:
    """--loss, over the finite targets only where the windows keep missing ones (--fill mask)."""
    base: nn.Module = nn.L1Loss() if cfg.loss is Loss.mae else nn.MSELoss()
    return base if train.targets is None else MaskedLoss(base)


def _place(
    model: nn.Module, cfg: TrainConfig, step: int, ctx: distributed.Context
) -> tuple[nn.Module, torch.device]:
    """Move ``model`` to its device with the thread count for batches of ``step``; under
    torchrun wrap it in DDP (sharing its parameters) and give each rank its own dropout masks."""
    device = distributed.device_for(resolve_device(cfg.device), ctx)
    torch.set_num_threads(choose_threads(step, ctx.local_world))
    model.to(device)
    net = distributed.wrap(model, device, ctx)
    if ctx.active:  # same weights everywhere (DDP broadcast), but each rank its own dropout masks
        torch.manual_seed(torch.initial_seed() + ctx.rank)
    return net, device


def _optimiser(model: nn.Module, cfg: TrainConfig, warm: bool, steps: int) -> tuple[Adam, OneCycle | None]:
    """Adam, and with the one-cycle schedule its learning-rate cycle over ``steps`` batches
    (none for a warm continuation, which runs at ``WARM_LR`` x ``cfg.lr``)."""
    optimiser = Adam(model.parameters(), lr=cfg.lr * (WARM_LR if warm else 1.0))
    if cfg.schedule is not Schedule.onecycle or warm:
        return optimiser, None
    return optimiser, OneCycle(optimiser, max_lr=cfg.lr, total_steps=steps, pct_start=0.3)


def _validation_windows(val_idx: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """The windows early stopping scores (a fixed random subset of big sets); None if none."""
    if len(val_idx) > _MAX_VAL_WINDOWS:
        val_idx = np.sort(rng.choice(val_idx, _MAX_VAL_WINDOWS, replace=False))
    return val_idx if len(val_idx) else None


def _windows_per_epoch(train_idx: np.ndarray, cfg: TrainConfig, ctx: distributed.Context) -> int:
    """Windows drawn each epoch; TrainingError when there are none or too few for the processes."""
    if len(train_idx) == 0:
        raise TrainingError("no training windows: the series is too short for lookback + horizon")
    per_epoch = min(len(train_idx), cfg.windows_per_epoch)
    if per_epoch < ctx.world:
        raise TrainingError(
            f"{per_epoch} training windows per epoch cannot be shared by {ctx.world} processes; "
            "run fewer processes (--nproc-per-node) or train as one process"
        )
    return per_epoch


def _train_epoch(
    net: nn.Module,
    model: nn.Module,
    train: WindowSet,
    order: np.ndarray,
    step: int,
    device: torch.device,
    optimiser: Adam,
    loss_fn: nn.Module,
    clip_grad: float | None,
    epoch: int,
    ctx: distributed.Context,
    cycle: OneCycle | None = None,
) -> float:
    """One pass over this process's windows ``order`` in batches of ``step``; the mean
    training loss over all processes. ``net`` is ``model``, wrapped under torchrun."""
    net.train()
    running, seen, bad = 0.0, 0, 0.0
    for lo in range(0, len(order), step):
        x, y = _tensors(train, order[lo : lo + step], device)
        optimiser.zero_grad()
        loss = loss_fn(net(x), y)
        if not torch.isfinite(loss):
            if not ctx.active:
                raise _diverged(loss.item(), epoch)
            bad = 1.0  # the other processes wait in backward for this one: stop together below
        loss.backward()
        if clip_grad:
            nn.utils.clip_grad_norm_(model.parameters(), clip_grad)
        optimiser.step()
        if cycle is not None:
            cycle.step()
        running += loss.item() * len(x)
        seen += len(x)
    running, seen, bad = distributed.all_sum([running, seen, bad], ctx)
    if bad:
        raise _diverged(math.nan, epoch)
    return running / seen


def _diverged(value: float, epoch: int) -> TrainingError:
    return TrainingError(
        f"training diverged: loss became {value} in epoch {epoch}; "
        "lower --lr, keep --clip-grad on, or try --scaler window"
    )


def _tensors(ws: WindowSet, idx: np.ndarray, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = ws.batch(idx)  # (b, lookback, features), (b, out_len)
    return torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)


def _evaluate(
    model: nn.Module,
    loss_fn: nn.Module,
    ws: WindowSet,
    idx: np.ndarray,
    device: torch.device,
    ctx: distributed.Context = distributed.SINGLE,
) -> float:
    """Mean loss over the windows ``idx``, in batches (weighted by batch size); under
    torchrun each process scores ``idx[rank::world]`` and the sums are shared."""
    model.eval()
    mine = idx[ctx.rank :: ctx.world]
    total = 0.0
    with torch.no_grad():
        for lo in range(0, len(mine), _EVAL_BATCH):
            x, y = _tensors(ws, mine[lo : lo + _EVAL_BATCH], device)
            total += float(loss_fn(model(x), y).item()) * len(x)
    total, count = distributed.all_sum([total, len(mine)], ctx)
    value = total / count
    if not math.isfinite(value):
        raise TrainingError("validation loss is not finite; lower --lr or check the data scale")
    return value
