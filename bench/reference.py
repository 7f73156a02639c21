"""The yardstick for training cost: a bare torch loop of fixed work.

    python bench/reference.py [--repeats N] [--json]

An LSTM of 2 layers x 64 (one input, 18 outputs: M3 monthly's horizon, and a linear head)
trained on 240,000 windows of 24 steps, batch 1024, Adam, L1 loss, one torch thread; the
windows are drawn from a fixed random walk, so the work is the same on every machine and in
every run. Nothing of ``forecast`` is imported: this is what the arithmetic alone costs.

Issue 15's target is M3 monthly's ``forecast train`` + ``forecast predict`` (defaults) within
1.2x this, measured in the same session: ``bench/suite.py`` runs it before the M3 monthly part
and records the ratio. Prints the median seconds (``--json``: a JSON object).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np
import torch
from torch import nn

WINDOWS, LOOKBACK, HORIZON, BATCH, HIDDEN, LAYERS = 240_000, 24, 18, 1024, 64, 2


class _Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.LSTM(1, HIDDEN, LAYERS, batch_first=True)
        self.head = nn.Linear(HIDDEN, HORIZON)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


def run_once(seed: int = 0) -> float:
    """Seconds to train the reference net once on ``WINDOWS`` windows (data made beforehand)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    walk = np.cumsum(rng.normal(size=WINDOWS + LOOKBACK + HORIZON)).astype(np.float32)
    starts = rng.permutation(WINDOWS)
    span = np.arange(LOOKBACK + HORIZON)
    net, loss_fn = _Net(), nn.L1Loss()
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    start = time.perf_counter()
    for lo in range(0, WINDOWS, BATCH):
        w = walk[starts[lo : lo + BATCH, None] + span]
        w = w - w[:, LOOKBACK - 1 : LOOKBACK]
        x = torch.from_numpy(w[:, :LOOKBACK, None])
        y = torch.from_numpy(w[:, LOOKBACK:])
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(x), y)
        loss.backward()
        nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
    return time.perf_counter() - start


def measure(repeats: int = 3) -> dict[str, float | list[float]]:
    """The median of ``repeats`` runs (one thread), after a short warm-up."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        runs = [run_once(k) for k in range(repeats)]
    finally:
        torch.set_num_threads(threads)
    return {"median_s": round(statistics.median(runs), 3), "runs_s": [round(r, 3) for r in runs]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print a JSON object")
    args = parser.parse_args()
    result = measure(args.repeats)
    print(json.dumps(result) if args.json else f"reference loop: median {result['median_s']:.2f} s")


if __name__ == "__main__":
    main()
