"""Warm start against a cold retrain on one more month of data: the cron user's retrain.

    python bench/warm.py [--seeds N] [--tag NAME]

M3 monthly (1428 series, h 18, invented dates as in the suite). Per seed: the parent trains
on each series' training part without its last month; then that month arrives, and both a
warm start (``--init parent``, the default fine-tuning budget) and a cold retrain (defaults)
train on the whole training part and forecast M3's 18 test points, which no run has seen.
Records train seconds (wall, as subprocesses) and sMAPE / MASE of both, side by side in one
session. Writes bench/results/warm[-TAG].json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

H, SEASON = 18, 12


def _write(work: Path, name: str, drop: int) -> Path:
    """The M3 monthly panel without each series' last ``drop`` training points."""
    frames = []
    for sn, x, _ in common.load_m3("monthly"):
        dates = common.invented_dates("monthly", len(x)).strftime("%Y-%m-%d")
        keep = len(x) - drop
        frames.append(pd.DataFrame({"series": sn, "date": dates[:keep], "value": x[:keep]}))
    path = work / f"{name}.csv"
    pd.concat(frames).to_csv(path, index=False)
    return path


def _train(data: Path, run: Path, work: Path, seed: int, *extra: str) -> float:
    return common.run([
        common.FORECAST, "train", str(data), "--id-col", "series", "--horizon", str(H), "--seed", str(seed),
        "--out", str(run), "--runs-dir", str(work / "runs"), "--no-plot", "-q", *extra,
    ])  # fmt: skip


def _score(run: Path, work: Path) -> dict[str, float]:
    out = work / f"{run.name}.csv"
    common.run([common.FORECAST, "predict", "--run", str(run), "--horizon", str(H), "--out", str(out), "-q"])
    frame = pd.read_csv(out, dtype={"series": str})
    tests = {sn: (x, xx[:H]) for sn, x, xx in common.load_m3("monthly")}
    smapes, mases = [], []
    for sn, g in frame.groupby("series"):
        x, y = tests[sn]
        f = g["forecast"].to_numpy(float)
        smapes.append(common.smape(y, f))
        mases.append(common.mase(y, f, x, SEASON))
    return {"smape": round(float(np.mean(smapes)), 4), "mase": round(float(np.mean(mases)), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--tag", default="")
    args = parser.parse_args()
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        before, now = _write(work, "before", 1), _write(work, "now", 0)
        for seed in range(args.seeds):
            parent, warm, cold = work / f"parent{seed}", work / f"warm{seed}", work / f"cold{seed}"
            row: dict[str, object] = {
                "seed": seed,
                "parent_train_s": round(_train(before, parent, work, seed), 2),
            }
            row["warm_train_s"] = round(_train(now, warm, work, seed, "--init", str(parent)), 2)
            row["cold_train_s"] = round(_train(now, cold, work, seed), 2)
            row["warm"], row["cold"] = _score(warm, work), _score(cold, work)
            rows.append(row)
            print(json.dumps(row), file=sys.stderr)
    summary = {
        name: {
            "train_s_median": statistics.median(float(r[f"{name}_train_s"]) for r in rows),  # type: ignore[arg-type]
            "smape_mean": round(float(np.mean([r[name]["smape"] for r in rows])), 4),  # type: ignore[index]
            "mase_mean": round(float(np.mean([r[name]["mase"] for r in rows])), 4),  # type: ignore[index]
        }
        for name in ("warm", "cold")
    }
    summary["warm_vs_cold_time"] = round(
        summary["warm"]["train_s_median"] / summary["cold"]["train_s_median"], 3
    )  # type: ignore[assignment]
    result = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "seeds": args.seeds,
        "runs": rows,
        "summary": summary,
    }
    dest = common.ROOT / "bench" / "results" / f"warm{'-' + args.tag if args.tag else ''}.json"
    dest.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
