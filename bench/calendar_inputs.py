"""Calendar inputs on really dated data: rolling-origin backtests of monthly series.

    python bench/calendar_inputs.py [--folds 6] [--seeds 3]

M3 carries no start dates (any calendar there is invented), so the calendar default is
judged here, on public monthly series with their real dates: the alcohol sample, and
statsmodels' El Nino sea surface temperatures (1950-2010) and euro-area electrical
equipment orders (1995-2016), and the three as one panel (a global model over series with
different start dates, where an aligned calendar could matter most). Each gets the same backtest (folds one year apart, the model
retrained per fold) with `--calendar` and `--no-calendar`, interleaved seed by seed; the
result is the mean MASE and sMAPE of each over seeds. Writes bench/results/calendar.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SAMPLE = ROOT / "sample_data" / "alcohol_sales.csv"


def datasets(work: Path) -> dict[str, Path]:
    """CSV files date,value of each monthly series."""
    import pandas as pd

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from common import load_dated  # statsmodels' data only, through the blind hold-out guard

    for name in ("elnino", "elec_equip"):
        series = load_dated(name)
        pd.DataFrame({"date": series.index, "value": series.to_numpy()}).to_csv(
            work / f"{name}.csv", index=False
        )
    single = {"alcohol_sales": SAMPLE, "elnino": work / "elnino.csv", "elec_equip": work / "elec_equip.csv"}
    # the three as one panel: a global model over series with different start dates
    parts = []
    for name, path in single.items():
        frame = pd.read_csv(path)
        frame.columns = ["date", "value"]
        parts.append(frame.assign(series=name))
    pd.concat(parts).to_csv(work / "panel3.csv", index=False)
    return {**single, "panel3": work / "panel3.csv"}


def backtest(path: Path, flag: str, seed: int, folds: int, work: Path) -> dict[str, float]:
    out = work / f"{path.stem}-{flag.lstrip('-')}-{seed}"
    cmd = [str(BIN / "forecast"), "backtest", str(path), flag, "--seed", str(seed), "--folds", str(folds)]
    cmd += ["--step", "12", "--no-plot", "--json", "--out", str(out)]
    if path.stem == "panel3":
        cmd += ["--id-col", "series"]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    overall = json.loads(done.stdout)["metrics"]["overall"]
    return {"mase": overall["model"]["mase"], "smape": overall["model"]["smape"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=6)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--only", nargs="*", help="data set names to run (default: all)")
    args = parser.parse_args()
    flags = ("--calendar", "--no-calendar")
    runs: dict[str, dict[str, list[dict[str, float]]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, path in datasets(Path(tmp)).items():
            if args.only and name not in args.only:
                continue
            runs[name] = {flag: [] for flag in flags}
            for seed in range(args.seeds):
                for flag in flags:  # interleaved: load drifts hit both alike
                    runs[name][flag].append(backtest(path, flag, seed, args.folds, Path(tmp)))
                    print(name, flag, seed, runs[name][flag][-1], file=sys.stderr)
    summary = {
        name: {
            flag: {m: round(statistics.mean(r[m] for r in rows), 4) for m in ("mase", "smape")}
            for flag, rows in by_flag.items()
        }
        for name, by_flag in runs.items()
    }
    result = {
        "data": list(runs),
        "folds": args.folds,
        "step": 12,
        "seeds": args.seeds,
        "mean": summary,
        "runs": runs,
        "machine": {"python": platform.python_version(), "cpu": platform.processor() or platform.machine()},
    }
    target = (
        ROOT
        / "bench"
        / "results"
        / ("calendar.json" if not args.only else f"calendar-{'-'.join(args.only)}.json")
    )
    target.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
