"""Overhead of ``loop.fit`` (forecast.model.loop) over a bare torch loop: same model, windows, batches and epochs.

    python bench/overhead.py [--repeats N] [--epochs N] [--threads N] [--tag NAME]

Both train the default LSTM (2 layers, hidden 64) from the same initial weights on the
M3 monthly panel (``m3panel``: 1428 series, lookback 24, 18 targets), with the batch size
and epoch size ``fit`` picks (windows_per_epoch 50,000 -> batch 1024), Adam, MAE loss and
gradient clipping at 1.0, no validation split for either. The bare loop gathers and
level-normalises each batch from the same numpy window view with the same shuffling, so
both do the same arithmetic (the final weights are compared). Runs alternate (ours, bare,
ours, bare, ...) after one short warm-up of each, with the same torch thread count: 1 by
default, because fit's overhead is Python work per batch that the thread count does not
change, while 2 OpenMP threads on a 2-core machine shared with other work spin-wait and
swing from 0.12 to 2.5 s per batch (--threads N measures N; 0 takes what ``fit`` picks).
Writes bench/results/overhead[-TAG].json. Timing is noisy on shared machines: read the
ratio of medians.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import m3panel
import numpy as np
import torch
from torch import nn

from forecast.core.choices import Device
from forecast.core.config import ModelConfig, TrainConfig
from forecast.model.loop import auto_batch_size, choose_threads, fit, seed_everything
from forecast.model.networks import build_model

ROOT = Path(__file__).resolve().parent.parent
TARGET = 1.15


def bare_fit(model, ws, starts, batch_size, per_epoch, epochs, lr, clip, seed) -> None:
    """The reference: a plain torch loop over the same windows, shuffling and optimiser."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    opt, loss_fn, lb, ll = torch.optim.Adam(model.parameters(), lr=lr), nn.L1Loss(), ws.lookback, ws.level_len
    model.train()
    for _ in range(epochs):
        order = rng.permutation(starts)[:per_epoch]
        for lo in range(0, len(order), batch_size):
            w = ws.windows[order[lo : lo + batch_size]]  # (b, lookback + horizon)
            level = w[:, lb - ll : lb].mean(axis=1, keepdims=True)
            x = torch.from_numpy((w[:, :lb] - level).astype(np.float32)).unsqueeze(-1)
            y = torch.from_numpy((w[:, lb:] - level).astype(np.float32))
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), y)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (0: what fit would pick)")
    parser.add_argument("--tag", default="", help="suffix for the results file")
    args = parser.parse_args()
    ws, starts = m3panel.panel(m3panel.load())
    tcfg = TrainConfig(epochs=args.epochs, device=Device.cpu)
    per_epoch = min(len(starts), tcfg.windows_per_epoch)
    batch_size = auto_batch_size(per_epoch)
    threads = args.threads or choose_threads(batch_size)
    os.environ["FORECAST_THREADS"] = str(threads)  # fit sets torch's thread count from this
    torch.set_num_threads(threads)
    mcfg = ModelConfig(output_size=m3panel.HORIZON)
    torch.manual_seed(0)
    init = build_model(mcfg).state_dict()

    def ours(epochs: int = args.epochs, cfg: TrainConfig = tcfg) -> tuple[float, nn.Module]:
        model = build_model(mcfg)
        model.load_state_dict(init)
        start = time.perf_counter()
        fit(model, ws, starts, starts[:0], cfg, seed_everything(0), epochs=epochs)
        return time.perf_counter() - start, model

    def bare(epochs: int = args.epochs, n: int = per_epoch) -> tuple[float, nn.Module]:
        model = build_model(mcfg)
        model.load_state_dict(init)
        start = time.perf_counter()
        bare_fit(model, ws, starts, batch_size, n, epochs, tcfg.lr, tcfg.clip_grad, 0)
        return time.perf_counter() - start, model

    warm = 8 * batch_size  # a few batches each: allocator and kernel set-up out of the timings
    ours(1, TrainConfig(epochs=1, windows_per_epoch=warm, batch_size=batch_size, device=Device.cpu))
    bare(1, warm)
    times: dict[str, list[float]] = {"ours": [], "bare": []}
    weight_diff = 0.0
    for k in range(args.repeats):
        t_ours, m_ours = ours()
        t_bare, m_bare = bare()
        times["ours"].append(t_ours)
        times["bare"].append(t_bare)
        if k == 0:
            pairs = zip(m_ours.state_dict().values(), m_bare.state_dict().values())
            weight_diff = max(float((a - b).abs().max()) for a, b in pairs)
        print(
            f"repeat {k + 1}: fit {t_ours:6.2f}s  bare {t_bare:6.2f}s  ratio {t_ours / t_bare:.3f}",
            flush=True,
        )
    med = {name: statistics.median(v) for name, v in times.items()}
    ratio = med["ours"] / med["bare"]
    windows = args.epochs * per_epoch
    print(
        f"median fit {med['ours']:.2f}s, bare {med['bare']:.2f}s: ratio {ratio:.3f} (target <= {TARGET}); "
        f"{threads} threads, batch {batch_size}, {windows} windows, max weight difference {weight_diff:.1e}"
    )
    out = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "torch": torch.__version__,
            "platform": platform.platform(),
        },
        "setup": {
            "panel": f"M3 monthly, {len(starts)} training windows (lookback {ws.lookback}, {ws.out_len} targets)",
            "model": "lstm, 2 layers, hidden 64",
            "threads": threads,
            "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "default"),
            "batch_size": batch_size,
            "windows_per_epoch": per_epoch,
            "epochs": args.epochs,
            "validation": "none for either",
            "repeats": args.repeats,
            "order": "alternating: fit, bare, fit, bare, ... after one short warm-up of each",
        },
        "fit_s": [round(t, 3) for t in times["ours"]],
        "bare_s": [round(t, 3) for t in times["bare"]],
        "median_fit_s": round(med["ours"], 3),
        "median_bare_s": round(med["bare"], 3),
        "ratio_of_medians": round(ratio, 3),
        "target": TARGET,
        "max_weight_difference_after_training": weight_diff,
    }
    dest = ROOT / "bench" / "results" / f"overhead{'-' + args.tag if args.tag else ''}.json"
    dest.write_text(json.dumps(out, indent=2) + "\n")
    print(f"written to {dest.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
