"""Training cost against the yardstick: M3 monthly train + predict vs ``bench/reference.py``.

    python bench/cost.py [--repeats N] [--schedules onecycle plateau] [--models lstm gru] [--tag NAME]

Alternates, in one session: the reference loop (a bare torch LSTM loop of fixed work, one
thread), then for each schedule ``forecast train`` + ``forecast predict`` of the full M3
monthly panel (1428 series, h 18, defaults but ``--schedule`` and ``--model``) as subprocesses; then a single
monthly series of 200 points (``forecast train`` alone). Prints and records the medians, the
ratio of M3's train + predict to the reference (issue 15's target: 1.2x) and sMAPE so a cheap
schedule cannot hide an accuracy loss. Writes bench/results/cost[-TAG].json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

H = 18


def _m3(work: Path) -> tuple[Path, dict[str, np.ndarray]]:
    frames, tests = [], {}
    for sn, x, xx in common.load_m3("monthly"):
        dates = common.invented_dates("monthly", len(x)).strftime("%Y-%m-%d")
        frames.append(pd.DataFrame({"series": sn, "date": dates, "value": x}))
        tests[sn] = xx[:H]
    path = work / "m3.csv"
    pd.concat(frames).to_csv(path, index=False)
    return path, tests


def _single(work: Path) -> Path:
    rng = np.random.default_rng(0)
    t = np.arange(200)
    v = 100 * np.exp(0.004 * t) * (1 + 0.15 * np.sin(2 * np.pi * t / 12)) + rng.normal(0, 2, 200)
    path = work / "s200.csv"
    dates = pd.date_range("2000-01-01", periods=200, freq="MS").strftime("%Y-%m-%d")
    pd.DataFrame({"date": dates, "value": v}).to_csv(path, index=False)
    return path


def _train_predict(data: Path, work: Path, schedule: str, model: str) -> dict[str, float]:
    run, out = work / f"run-{schedule}-{model}", work / f"fc-{schedule}-{model}.csv"
    common_args = ["--out", str(run), "--runs-dir", str(work / "runs"), "--no-plot", "-q"]
    train = [common.FORECAST, "train", str(data), "--id-col", "series", "--horizon", str(H)]
    t_train = common.run([*train, "--schedule", schedule, "--model", model, *common_args])
    t_predict = common.run(
        [common.FORECAST, "predict", "--run", str(run), "--horizon", str(H), "--out", str(out), "-q"]
    )
    return {"train_s": t_train, "predict_s": t_predict}


def _score(forecast: Path, tests: dict[str, np.ndarray]) -> float:
    frame = pd.read_csv(forecast, dtype={"series": str})
    return float(
        np.mean([common.smape(tests[sn], g["forecast"].to_numpy(float)) for sn, g in frame.groupby("series")])
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--schedules", nargs="+", default=["onecycle"], choices=["onecycle", "plateau"])
    parser.add_argument("--models", nargs="+", default=["lstm"], choices=["lstm", "gru"])
    parser.add_argument("--tag", default="")
    args = parser.parse_args()
    reference = [sys.executable, str(Path(__file__).parent / "reference.py"), "--repeats", "1", "--json"]
    times: dict[str, list[float]] = {"reference": [], "single_train": []}
    smapes: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        data, tests = _m3(work)
        single = _single(work)
        for k in range(args.repeats):
            ref = json.loads(subprocess.run(reference, capture_output=True, text=True, check=True).stdout)
            times["reference"].append(ref["median_s"])
            for schedule in args.schedules:
                for model in args.models:
                    res = _train_predict(data, work, schedule, model)
                    name = f"{schedule}-{model}"
                    times.setdefault(f"{name}_train", []).append(res["train_s"])
                    times.setdefault(f"{name}_predict", []).append(res["predict_s"])
                    smapes.setdefault(name, []).append(_score(work / f"fc-{name}.csv", tests))
            times["single_train"].append(
                common.run([common.FORECAST, "train", str(single), "--out", str(work / "s"), "--runs-dir",
                        str(work / "runs"), "--no-plot", "-q"])
            )  # fmt: skip
            print(
                f"repeat {k + 1}: " + json.dumps({n: round(v[-1], 1) for n, v in times.items()}),
                file=sys.stderr,
            )
    med = {name: round(statistics.median(v), 2) for name, v in times.items()}
    ratios = {n: round((med[f"{n}_train"] + med[f"{n}_predict"]) / med["reference"], 2) for n in smapes}
    result = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "repeats": args.repeats,
        "runs_s": {n: [round(x, 2) for x in v] for n, v in times.items()},
        "median_s": med,
        "m3_monthly_vs_reference": ratios,
        "m3_monthly_smape": {s: [round(x, 3) for x in v] for s, v in smapes.items()},
        "target": {"vs_reference": 1.2, "single_200_train_s": 5.0},
    }
    dest = common.ROOT / "bench" / "results" / f"cost{'-' + args.tag if args.tag else ''}.json"
    dest.write_text(json.dumps(result, indent=2) + "\n")
    print(
        json.dumps({"median_s": med, "vs_reference": ratios, "smape": result["m3_monthly_smape"]}, indent=1)
    )


if __name__ == "__main__":
    main()
