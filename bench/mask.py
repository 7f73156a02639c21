"""Gaps without repair: ``--fill mask`` against ``--fill interpolate`` and the complete series.

    python bench/mask.py [--series N] [--seeds S] [--tag NAME]

A fixed sample of M3 monthly series (the suite's data, h 18). Each loses values from its
training part in two ways: 10% of them at random, and one block of 12 consecutive months
somewhere in its middle; each version is trained alone (``forecast train one.csv``) with
``--fill mask`` and with ``--fill interpolate``, and the complete series as well. Every
forecast is scored on M3's 18 test points with the complete series' in-sample scale, so the
MASEs compare. Writes bench/results/mask[-TAG].json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

H, SEASON, SAMPLE_SEED = 18, 12, 20261203


def _damage(x: np.ndarray, how: str, rng: np.random.Generator) -> np.ndarray:
    y = x.astype(float).copy()
    if how == "random10":
        y[rng.choice(len(y), max(1, len(y) // 10), replace=False)] = np.nan
    else:  # block12: 12 months in a row, away from both ends
        start = int(rng.integers(len(y) // 4, len(y) - len(y) // 4 - 12))
        y[start : start + 12] = np.nan
    if np.isnan(y[0]) or np.isnan(y[-1]):  # the file's first and last dates must stay
        y[0], y[-1] = x[0], x[-1]
    return y


def _forecast(values: np.ndarray, work: Path, name: str, seed: int, fill: str | None) -> np.ndarray:
    dates = common.invented_dates("monthly", len(values)).strftime("%Y-%m-%d")
    path = work / f"{name}.csv"
    pd.DataFrame({"date": dates, "value": values}).to_csv(path, index=False, na_rep="")
    run, out = work / f"run-{name}", work / f"fc-{name}.csv"
    extra = [] if fill is None else ["--fill", fill]
    common.run([
        common.FORECAST, "train", str(path), "--horizon", str(H), "--seed", str(seed), "--out", str(run),
        "--runs-dir", str(work / "runs"), "--no-plot", "-q", *extra,
    ])  # fmt: skip
    common.run([common.FORECAST, "predict", "--run", str(run), "--out", str(out), "-q"])
    return pd.read_csv(out)["forecast"].to_numpy(float)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=24)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--tag", default="")
    args = parser.parse_args()
    cases = [c for c in common.load_m3("monthly") if len(c[1]) >= 60]
    rng = np.random.default_rng(SAMPLE_SEED)
    cases = [cases[i] for i in np.sort(rng.choice(len(cases), args.series, replace=False))]
    scores: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for sn, x, xx in cases:
            y = xx[:H]
            damaged = {
                how: _damage(x, how, np.random.default_rng([SAMPLE_SEED, len(x)]))
                for how in ("random10", "block12")
            }
            for seed in range(args.seeds):
                runs = {"complete": (x, None)}
                for how, values in damaged.items():
                    runs[f"{how}-mask"] = (values, "mask")
                    runs[f"{how}-interpolate"] = (values, "interpolate")
                for name, (values, fill) in runs.items():
                    f = _forecast(values, work, f"{sn}-{name}", seed, fill)
                    scores.setdefault(name, []).append(common.mase(y, f, x, SEASON))
            print(sn, {n: round(v[-1], 3) for n, v in scores.items()}, file=sys.stderr)
    summary = {name: round(float(np.mean(v)), 4) for name, v in scores.items()}
    pairs = {
        how: round(
            float(np.mean(np.array(scores[f"{how}-mask"]) <= np.array(scores[f"{how}-interpolate"]))), 3
        )
        for how in ("random10", "block12")
    }
    result = {"series": args.series, "seeds": args.seeds, "mean_mase": summary, "mask_at_most_interpolate": pairs,
              "runs": {n: [round(v, 4) for v in vals] for n, vals in scores.items()}}  # fmt: skip
    dest = common.ROOT / "bench" / "results" / f"mask{'-' + args.tag if args.tag else ''}.json"
    dest.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({"mean_mase": summary, "mask_at_most_interpolate": pairs}, indent=1))


if __name__ == "__main__":
    main()
