"""Wall time of the everyday commands on the sample data: medians over repeated runs.

    python bench/core.py [--repeats N]

Runs the installed `forecast` console script in subprocesses (as a user or cron would),
side by side with a bare `python -c "import torch, pandas"` for reference, and writes
bench/results/core.json. Timing is noisy on shared machines: compare medians and ratios
from one run, never single numbers.
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
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SAMPLE = ROOT / "sample_data" / "alcohol_sales.csv"


def timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    forecast = str(BIN / "forecast")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        cases = {
            "forecast --help": ([forecast, "--help"], 2 * args.repeats),
            "forecast train --help": ([forecast, "train", "--help"], 2 * args.repeats),
            'python -c "import torch, pandas"': (
                [sys.executable, "-c", "import torch, pandas"],
                args.repeats,
            ),
            "forecast train sample_data/alcohol_sales.csv": ([forecast, "train", str(SAMPLE)], args.repeats),
            "forecast predict --horizon 12": ([forecast, "predict", "--horizon", "12"], args.repeats),
        }
        results = {}
        for name, (cmd, n) in cases.items():
            times = [timed(cmd, work) for _ in range(n)]
            results[name] = {
                "median_s": round(statistics.median(times), 3),
                "runs": n,
                "min_s": round(min(times), 3),
                "max_s": round(max(times), 3),
            }
            print(f"{name:50s} median {results[name]['median_s']:7.3f}s over {n}", flush=True)
    ref = results['python -c "import torch, pandas"']["median_s"]
    ratio = results["forecast predict --horizon 12"]["median_s"] / ref
    print(f"predict / import torch+pandas: {ratio:.2f}x")
    out = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "results": results,
        "predict_over_import_ratio": round(ratio, 3),
    }
    dest = ROOT / "bench" / "results" / "core.json"
    dest.write_text(json.dumps(out, indent=2) + "\n")
    print(f"written to {dest.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
