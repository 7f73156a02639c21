"""Every command's outputs on the sample data, reduced to a fingerprint that a refactor must keep.

    python bench/same_outputs.py --save before.json     # on the old code
    python bench/same_outputs.py --check before.json    # on the new code: exit 1 if anything differs

Runs train, predict, backtest, validate, info and plot on sample_data/alcohol_sales.csv
(small settings: a few seconds each) as subprocesses of the installed console script, and
records the SHA-256 of every file they write and of their --json output, after removing
what legitimately changes from run to run: wall times, absolute paths, dates of the run,
library versions. A refactor that is meant to change no behaviour must give the same
fingerprint (the same forecasts, weights, metrics and messages, byte for byte).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORECAST = str(Path(sys.executable).parent / "forecast")
SAMPLE = ROOT / "sample_data" / "alcohol_sales.csv"
FAST = ["--epochs", "6", "--hidden-size", "16", "--layers", "1", "--patience", "3"]
# keys whose values differ between two identical runs (time, place, machine)
_VOLATILE = {
    "seconds",
    "created_utc",
    "created",
    "created_at",
    "versions",
    "python",
    "platform",
    "host",
    "device",
    "path",
}
_TIMES = re.compile(r"\d+(\.\d+)?s\b|\d{8}T\d{6}Z(-\d+)?")


def _scrub(obj: object, tmp: str) -> object:
    if isinstance(obj, dict):
        return {k: ("<volatile>" if k in _VOLATILE else _scrub(v, tmp)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_scrub(v, tmp) for v in obj]
    if isinstance(obj, str):
        return _TIMES.sub("<t>", obj.replace(tmp, "<tmp>"))
    return obj


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _file_digest(path: Path, tmp: str) -> str:
    if path.suffix == ".json":
        return _digest(json.dumps(_scrub(json.loads(path.read_text()), tmp), sort_keys=True).encode())
    if path.suffix == ".png":
        return "png"  # matplotlib embeds its version; the data behind it is in the CSVs
    return _digest(path.read_bytes())


def _run(args: list[str], cwd: Path, tmp: str) -> dict[str, object]:
    done = subprocess.run([FORECAST, *args, "--json"], cwd=cwd, capture_output=True, text=True)
    try:
        summary = _scrub(json.loads(done.stdout), tmp)
    except json.JSONDecodeError:
        summary = done.stdout
    return {"exit": done.returncode, "json": _digest(json.dumps(summary, sort_keys=True).encode())}


def fingerprint() -> dict[str, object]:
    """Exit codes, --json digests and written files' digests of every command."""
    out: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        data = work / "alcohol_sales.csv"
        data.write_bytes(SAMPLE.read_bytes())
        steps = {
            "validate": ["validate", str(data)],
            "train": ["train", str(data), "--out", "run", *FAST],
            "predict": ["predict", "--run", "run", "--horizon", "18"],
            "predict-seasonal": ["predict", "--run", "run", "--method", "seasonal_naive", "--out", "sn.csv"],
            "info": ["info", "run"],
            "plot": ["plot", "--run", "run", "--out", "picture.png"],
            "backtest": ["backtest", str(data), "--folds", "2", "--out", "bt", *FAST],
            "bad-data": ["train", str(work / "missing.csv")],
        }
        for name, args in steps.items():
            out[name] = _run(args, work, tmp)
        for folder in ("run", "bt"):
            for path in sorted((work / folder).iterdir()):
                if path.name.startswith("."):  # lock files: bookkeeping, not output
                    continue
                out[f"{folder}/{path.name}"] = _file_digest(path, tmp)
        out["sn.csv"] = _file_digest(work / "sn.csv", tmp)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--save", type=Path, help="write the fingerprint here")
    group.add_argument("--check", type=Path, help="compare with a saved fingerprint")
    args = parser.parse_args()
    now = fingerprint()
    if args.save:
        args.save.write_text(json.dumps(now, indent=2, sort_keys=True) + "\n")
        print(f"fingerprint of {len(now)} outputs written to {args.save}")
        return
    before = json.loads(args.check.read_text())
    differ = sorted(k for k in before.keys() | now.keys() if before.get(k) != now.get(k))
    for key in differ:
        print(f"differs: {key}: {before.get(key)} -> {now.get(key)}")
    print(f"{len(now) - len(differ)} of {len(now)} outputs identical")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
