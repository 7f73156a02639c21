"""Scale-out under torchrun: one process per device training one global model (DDP).

torchrun sets WORLD_SIZE, RANK, LOCAL_RANK (and LOCAL_WORLD_SIZE) in each process it starts;
``from_env`` reads them and ``session`` opens the process group (gloo on CPU, nccl on CUDA
with device ``cuda:LOCAL_RANK``) for the length of a command. Without torchrun every helper
here is a no-op, so the single-process path is unchanged.

Rules the callers keep so that no process waits forever for another:
every process runs the same sequence of collectives (DDP construction, ``all_sum``,
``from_main``, ``together``); work done by rank 0 alone (scoring, writing the run) runs
inside ``together``, which holds no collective and tells every process afterwards whether
any of them failed, so all stop together with the same exit code.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from forecast.core.choices import Device
from forecast.core.errors import ForecastError, PeerFailed, UsageError

if TYPE_CHECKING:  # the CLI reads ``from_env`` before any heavy import; torch only with a group
    import numpy as np
    import torch
    from torch import nn

__all__ = [
    "Context",
    "SINGLE",
    "from_env",
    "session",
    "shard",
    "local_batch",
    "device_for",
    "wrap",
    "all_sum",
    "from_main",
    "together",
]

_TIMEOUT = dt.timedelta(minutes=30)  # rank 0 may score and write alone while the others wait

T = TypeVar("T")


@dataclass(frozen=True)
class Context:
    """Where this process stands in a torchrun job (rank 0 of 1 without torchrun)."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0
    local_world: int = 1  # processes on this machine (they share its CPU cores)

    @property
    def active(self) -> bool:
        """More than one process: collectives are needed."""
        return self.world > 1

    @property
    def main(self) -> bool:
        """Rank 0: the one process that reads and writes run directories and talks to the user."""
        return self.rank == 0


SINGLE = Context()


def _int(environ: Mapping[str, str], name: str, default: int) -> int:
    text = environ.get(name, "").strip()
    return int(text) if text.isdigit() else default


def from_env(environ: Mapping[str, str] | None = None) -> Context:
    """The torchrun context from its environment variables; ``SINGLE`` without them."""
    env = os.environ if environ is None else environ
    world = _int(env, "WORLD_SIZE", 1)
    if world <= 1:
        return SINGLE
    rank = _int(env, "RANK", 0)
    return Context(
        rank=rank,
        world=world,
        local_rank=_int(env, "LOCAL_RANK", rank),
        local_world=_int(env, "LOCAL_WORLD_SIZE", world),
    )


@contextmanager
def session(device: Device) -> Iterator[Context]:
    """Open the process group for the block and destroy it afterwards (no-op without torchrun)."""
    ctx = from_env()
    if not ctx.active:
        yield ctx
        return
    import torch
    import torch.distributed as dist

    cuda = device is Device.cuda or (device is Device.auto and torch.cuda.is_available())
    if cuda:
        if not torch.cuda.is_available():
            raise UsageError("--device cuda was asked for but torch sees no CUDA GPU; use --device cpu")
        if ctx.local_rank >= torch.cuda.device_count():
            raise UsageError(
                f"process with LOCAL_RANK {ctx.local_rank} has no GPU: this machine has "
                f"{torch.cuda.device_count()}; pass --nproc-per-node at most that many"
            )
        torch.cuda.set_device(ctx.local_rank)
    dist.init_process_group("nccl" if cuda else "gloo", timeout=_TIMEOUT)
    finished = False
    try:
        yield ctx
        finished = True
    finally:
        if finished:  # all arrive before any tears down: gloo may abort a peer still talking
            dist.barrier()
        dist.destroy_process_group()


def shard(order: np.ndarray, ctx: Context) -> np.ndarray:
    """This process's windows of an epoch's shuffled ``order``: ``order[rank::world]``.

    The tail beyond a multiple of ``world`` is dropped so every process runs the same number
    of batches (DDP needs that). With ``local_batch`` windows per step, the processes' batch
    ``j`` together are exactly the windows of batch ``j`` of a single process.
    """
    usable = len(order) // ctx.world * ctx.world
    return order[ctx.rank : usable : ctx.world]


def local_batch(batch_size: int, ctx: Context) -> int:
    """Windows per step in each process: the global batch shared out (rounded up)."""
    return -(-batch_size // ctx.world)


def device_for(device: torch.device, ctx: Context) -> torch.device:
    """``cuda:LOCAL_RANK`` for CUDA under torchrun; otherwise ``device`` itself."""
    import torch

    if ctx.active and device.type == "cuda":
        return torch.device("cuda", ctx.local_rank)
    return device


def wrap(model: nn.Module, device: torch.device, ctx: Context) -> nn.Module:
    """``model`` in DistributedDataParallel under torchrun (gradients averaged), else itself.

    DDP shares the parameters of ``model``: optimise and save ``model``, call the wrapper.
    """
    if not ctx.active:
        return model
    from torch.nn.parallel import DistributedDataParallel

    ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=ids)


def all_sum(values: list[float], ctx: Context) -> list[float]:
    """Element-wise sums over every process (float64); ``values`` itself without torchrun."""
    if not ctx.active:
        return values
    import torch
    import torch.distributed as dist

    device = torch.device("cuda", ctx.local_rank) if dist.get_backend() == "nccl" else torch.device("cpu")
    t = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(t)
    return [float(v) for v in t.cpu()]


def from_main(obj: T, ctx: Context) -> T:
    """Rank 0's ``obj`` on every process (pickled by torch); ``obj`` without torchrun."""
    if not ctx.active:
        return obj
    import torch.distributed as dist

    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


@contextmanager
def together(ctx: Context) -> Iterator[None]:
    """Run a block that may fail on some processes; afterwards all fail alike or none does.

    The block must hold no collective. A process whose block raised re-raises its own error
    (after telling the others); the others raise ``PeerFailed`` with the failing process's
    exit code and message.
    """
    if not ctx.active:
        yield
        return
    try:
        yield
    except BaseException as exc:
        _agree(ctx, exc)
        raise
    _agree(ctx, None)


def _agree(ctx: Context, exc: BaseException | None) -> None:
    import torch.distributed as dist

    mine = None if exc is None else (_exit_code(exc), _describe(exc))
    everyone: list[Any] = [None] * ctx.world
    dist.all_gather_object(everyone, mine)
    if exc is not None:
        return
    for rank, status in enumerate(everyone):
        if status is not None:
            code, message = status
            raise PeerFailed(message if rank == 0 else f"process {rank} of {ctx.world}: {message}", code)


def _exit_code(exc: BaseException) -> int:
    if isinstance(exc, ForecastError):
        return int(exc.exit_code)
    return 130 if isinstance(exc, KeyboardInterrupt) else 1


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ForecastError):
        return str(exc)
    detail = f"{type(exc).__name__}: {exc}".splitlines()[0]
    return f"internal error ({detail}); rerun with --debug and report it"
