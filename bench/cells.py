"""Training windows per second for each cell type on the M3 monthly panel.

    python bench/cells.py [--repeats N] [--epochs N] [--threads N]

Trains LSTM, GRU, RNN and lstm-peephole with the CLI defaults (2 layers, hidden 64,
windows_per_epoch 50,000 -> batch 1024, Adam, MAE, clipping at 1.0) through ``loop.fit``
on the M3 monthly panel (``m3panel``: 1428 series, lookback 24, 18 targets, no validation)
for --epochs epochs, and counts windows trained per second of the training loop (windowing
and model building excluded). Cell types alternate within each repeat after one short
warm-up of each; medians over the repeats. Torch threads: 1 by default (see
bench/overhead.py for why on a shared 2-core machine; 0 takes what ``fit`` picks).
Writes bench/results/cells.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
from pathlib import Path

import m3panel
import torch

from forecast.core.choices import Device, ModelKind
from forecast.core.config import ModelConfig, TrainConfig
from forecast.model.loop import auto_batch_size, choose_threads, fit, seed_everything
from forecast.model.networks import build_model

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (0: what fit would pick)")
    args = parser.parse_args()
    ws, starts = m3panel.panel(m3panel.load())
    cfg = TrainConfig(epochs=args.epochs, device=Device.cpu)
    per_epoch = min(len(starts), cfg.windows_per_epoch)
    batch_size = auto_batch_size(per_epoch)
    threads = args.threads or choose_threads(batch_size)
    os.environ["FORECAST_THREADS"] = str(threads)  # fit sets torch's thread count from this

    def rate(kind: ModelKind, train_cfg: TrainConfig) -> float:
        rng = seed_everything(0)  # as fitting.fit_members: seed, build, fit
        model = build_model(ModelConfig(kind=kind, output_size=m3panel.HORIZON))
        result = fit(model, ws, starts, starts[:0], train_cfg, rng)
        return train_cfg.epochs * min(len(starts), train_cfg.windows_per_epoch) / result.seconds

    warm = TrainConfig(epochs=1, windows_per_epoch=4 * batch_size, batch_size=batch_size, device=Device.cpu)
    for kind in ModelKind:
        rate(kind, warm)
    rates: dict[str, list[float]] = {kind.value: [] for kind in ModelKind}
    for k in range(args.repeats):
        for kind in ModelKind:
            rates[kind.value].append(rate(kind, cfg))
        print(f"repeat {k + 1}: " + "  ".join(f"{n} {v[-1]:,.0f}/s" for n, v in rates.items()), flush=True)
    medians = {name: statistics.median(v) for name, v in rates.items()}
    print(
        f"\n{'cell':15s} {'windows/s':>10s}  (median of {args.repeats}, {threads} threads, batch {batch_size})"
    )
    for name, value in medians.items():
        print(f"{name:15s} {value:10,.0f}")
    out = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "torch": torch.__version__,
            "platform": platform.platform(),
        },
        "setup": {
            "panel": f"M3 monthly, {len(starts)} training windows (lookback {ws.lookback}, {ws.out_len} targets)",
            "model": "2 layers, hidden 64 (CLI defaults)",
            "threads": threads,
            "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "default"),
            "batch_size": batch_size,
            "windows_per_epoch": per_epoch,
            "epochs": args.epochs,
            "repeats": args.repeats,
            "order": "lstm, gru, rnn, lstm-peephole in each repeat, after one short warm-up of each",
        },
        "windows_per_s": {name: [round(v, 1) for v in values] for name, values in rates.items()},
        "median_windows_per_s": {name: round(v, 1) for name, v in medians.items()},
    }
    dest = ROOT / "bench" / "results" / "cells.json"
    dest.write_text(json.dumps(out, indent=2) + "\n")
    print(f"written to {dest.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
