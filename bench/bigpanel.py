"""Big panels: train and predict on 100,000 synthetic monthly series of 120 points.

    python bench/bigpanel.py [--series 100000] [--length 120] [--format csv|parquet]

Generates the panel (seasonal, trending, noisy series with staggered starts), then runs the
installed `forecast` console script as a user would: `forecast train` with a bounded
`--windows-per-epoch`, then `forecast predict`. Each command runs in its own process and we
record its wall time and peak resident memory (ru_maxrss of that child alone). Targets from
the issue: predict <= 60 s and <= 2 GB; train <= 3 GB. Results go to bench/results/bigpanel.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

# Measures one child: its wall time and its own peak RSS (RUSAGE_CHILDREN of a fresh wrapper).
_WRAPPER = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
    "print(rc, time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def generate(n_series: int, length: int, seed: int = 0) -> pd.DataFrame:
    """A long frame (series, date, value): log-normal levels, trends, yearly seasons, noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    level = rng.lognormal(6.0, 1.0, (n_series, 1))
    trend = rng.normal(0.002, 0.004, (n_series, 1))
    amp = rng.uniform(0.0, 0.3, (n_series, 1))
    phase = rng.uniform(0, 2 * np.pi, (n_series, 1))
    noise = rng.normal(0.0, 0.05, (n_series, length))
    y = level * np.exp(trend * t) * (1 + amp * np.sin(2 * np.pi * t / 12 + phase)) * np.exp(noise)
    # staggered starts: every series ends in the same month, some are shorter
    starts = rng.integers(0, length // 4, n_series)
    keep = t[None, :] >= starts[:, None]
    dates = pd.date_range("2015-01-01", periods=length, freq="MS").strftime("%Y-%m-%d").to_numpy()
    ids = np.char.add("S", np.char.zfill(np.arange(n_series).astype(str), 6))
    rows = np.nonzero(keep)
    return pd.DataFrame({"series": ids[rows[0]], "date": dates[rows[1]], "value": np.round(y[rows], 3)})


def measure(cmd: list[str], cwd: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *cmd], cwd=cwd, capture_output=True, text=True, check=True
    )
    rc, wall, rss_kb = done.stdout.split()
    if int(rc) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed with exit {rc}")
    return {"wall_s": round(float(wall), 2), "peak_rss_mb": round(int(rss_kb) / 1024, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=100_000)
    parser.add_argument("--length", type=int, default=120)
    parser.add_argument("--format", choices=["csv", "parquet"], default="csv")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--windows-per-epoch", type=int, default=50_000)
    args = parser.parse_args()
    forecast = str(BIN / "forecast")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        frame = generate(args.series, args.length)
        data = work / f"panel.{args.format}"
        start = time.perf_counter()
        if args.format == "csv":
            frame.to_csv(data, index=False)
        else:
            frame.to_parquet(data, index=False)
        print(
            f"generated {len(frame):,} rows of {args.series:,} series in {time.perf_counter() - start:.1f}s"
        )
        size_mb = round(data.stat().st_size / 2**20, 1)
        del frame
        common = ["--id-col", "series", "--date-col", "date", "--value-col", "value"]
        train = measure(
            [forecast, "train", str(data), *common, "--out", str(work / "run"), "--epochs", str(args.epochs)]
            + ["--windows-per-epoch", str(args.windows_per_epoch), "--no-refit"],
            work,
        )
        print(f"train   {train}", flush=True)
        predict = measure(
            [forecast, "predict", "--run", str(work / "run"), "--out", str(work / "forecast.csv")], work
        )
        print(f"predict {predict}", flush=True)
        lines = sum(1 for _ in open(work / "forecast.csv")) - 1
    out = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "series": args.series,
        "length": args.length,
        "format": args.format,
        "file_mb": size_mb,
        "train_args": {"epochs": args.epochs, "windows_per_epoch": args.windows_per_epoch, "refit": False},
        "train": train,
        "predict": predict,
        "forecast_rows": lines,
        "targets": {"predict_wall_s": 60, "predict_peak_rss_mb": 2048, "train_peak_rss_mb": 3072},
    }
    dest = ROOT / "bench" / "results" / f"bigpanel_{args.format}.json"
    dest.write_text(json.dumps(out, indent=2) + "\n")
    print(f"written to {dest.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
