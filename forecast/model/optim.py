"""Adam and the one-cycle learning-rate schedule the training loop uses, in plain torch tensor
ops: the arithmetic of ``torch.optim.Adam``'s single-tensor path (what it runs on CPU) and of
``torch.optim.lr_scheduler.OneCycleLR`` (cosine annealing, beta1 cycled 0.95 -> 0.85 -> 0.95),
step for step, so results are the same to the bit on CPU (``tests/test_schedule.py`` checks).

Why not torch.optim itself: its decorators import ``torch._dynamo`` on the first optimiser
call, 1.3-1.9 s on this machine, a third of training one short series (docs/benchmarks.md).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch

__all__ = ["Adam", "OneCycle"]


class Adam:
    """Adam without weight decay or amsgrad (``torch.optim.Adam``'s defaults), one parameter
    group; ``lr`` and ``betas`` may be changed between steps (``OneCycle`` does)."""

    def __init__(
        self, params: Iterable[torch.nn.Parameter], lr: float, betas: tuple[float, float] = (0.9, 0.999)
    ) -> None:
        self.params = list(params)
        self.lr, self.betas, self.eps = lr, betas, 1e-8
        self.state: dict[int, tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = {}

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        beta1, beta2 = self.betas
        for p in self.params:
            if p.grad is None:
                continue
            grad = p.grad
            if id(p) not in self.state:
                zeros = torch.zeros_like(p, memory_format=torch.preserve_format)
                self.state[id(p)] = (torch.tensor(0.0), zeros, zeros.clone())
            step_t, exp_avg, exp_avg_sq = self.state[id(p)]
            step_t += 1
            exp_avg.lerp_(grad, 1 - beta1)
            exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            step = step_t.item()
            step_size = self.lr / (1 - beta1**step)
            denom = (exp_avg_sq.sqrt() / (1 - beta2**step) ** 0.5).add_(self.eps)
            p.addcdiv_(exp_avg, denom, value=-step_size)


class OneCycle:
    """The learning rate from ``max_lr / 25`` up to ``max_lr`` over the first ``pct_start`` of
    ``total_steps``, then down to ``max_lr / 25 / 1e4``, both by cosine; beta1 the other way,
    0.95 -> 0.85 -> 0.95. Sets the step-0 values at once; ``step`` after each optimiser step."""

    def __init__(self, optimiser: Adam, max_lr: float, total_steps: int, pct_start: float = 0.3) -> None:
        self.optimiser, self.total = optimiser, total_steps
        low = max_lr / 25.0
        self.phases = [  # (end step, start lr, end lr, start beta1, end beta1)
            (float(pct_start * total_steps) - 1, low, max_lr, 0.95, 0.85),
            (total_steps - 1, max_lr, low / 1e4, 0.85, 0.95),
        ]
        self.done = -1
        self.step()

    @staticmethod
    def _cos(start: float, end: float, pct: float) -> float:
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)

    def step(self) -> None:
        self.done += 1
        if self.done > self.total:
            raise ValueError(f"one-cycle stepped {self.done} times; it was set for {self.total} steps")
        start = 0.0
        for i, (end, lr0, lr1, m0, m1) in enumerate(self.phases):
            if self.done <= end or i == len(self.phases) - 1:
                pct = (self.done - start) / (end - start)
                self.optimiser.lr = self._cos(lr0, lr1, pct)
                self.optimiser.betas = (self._cos(m0, m1, pct), self.optimiser.betas[1])
                return
            start = end
