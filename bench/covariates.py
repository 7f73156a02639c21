"""Known-ahead covariates: hold-out accuracy with and without them on a promotion-driven series.

    python bench/covariates.py [--seeds 3]

A monthly series of 240 points, sales = 100 + 20 sin(2 pi t / 12) + 40 promo + noise(sd 3),
promo a random 0/1 plan (1 in 4 months). `forecast train` (hidden 16, 200 epochs at most,
early stopping) with and without `--future-covariate promo`, for both strategies, seeds
interleaved; hold-out (last 12 points) MASE against seasonal naive. Writes
bench/results/covariates.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def promo_series(path: Path, n: int = 240, seed: int = 1) -> Path:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    promo = (rng.random(n) < 0.25).astype(int)
    sales = 100 + 20 * np.sin(2 * np.pi * t / 12) + 40 * promo + rng.normal(0, 3, n)
    dates = pd.date_range("2000-01-01", periods=n, freq="MS").strftime("%Y-%m-%d")
    pd.DataFrame({"date": dates, "sales": sales.round(2), "promo": promo}).to_csv(path, index=False)
    return path


def train(path: Path, extra: list[str], seed: int, out: Path) -> dict[str, float]:
    cmd = [str(BIN / "forecast"), "train", str(path), "--value-col", "sales", "--hidden-size", "16"]
    cmd += ["--epochs", "200", "--seed", str(seed), "--no-plot", "--json", "--out", str(out), *extra]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    metrics = json.loads(done.stdout)["metrics"]
    return {"mase": metrics["model"]["mase"], "seasonal_naive_mase": metrics["seasonal_naive"]["mase"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    cases = {
        "many-to-many, no covariate": ["--strategy", "many-to-many"],
        "many-to-many, --future-covariate promo": [
            "--strategy",
            "many-to-many",
            "--future-covariate",
            "promo",
        ],
        "many-to-one, no covariate": ["--strategy", "many-to-one"],
        "many-to-one, --future-covariate promo": ["--strategy", "many-to-one", "--future-covariate", "promo"],
    }
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in cases}
    with tempfile.TemporaryDirectory() as tmp:
        path = promo_series(Path(tmp) / "promo.csv")
        for seed in range(args.seeds):
            for k, (name, extra) in enumerate(cases.items()):  # interleaved
                runs[name].append(train(path, extra, seed, Path(tmp) / f"run-{k}-{seed}"))
                print(name, seed, runs[name][-1], file=sys.stderr)
    summary = {name: round(statistics.mean(r["mase"] for r in rows), 4) for name, rows in runs.items()}
    result = {"seeds": args.seeds, "mean_mase": summary, "runs": runs}
    (ROOT / "bench" / "results" / "covariates.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
