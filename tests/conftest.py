"""Shared helpers: the CLI runner, tiny data, fast settings, and a guard that tests never write into the repo."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("COLUMNS", "120")  # pin rich's width in CLI output
os.environ.pop("FORCE_COLOR", None)

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data" / "alcohol_sales.csv"

# A training run whose numbers do not matter (it only has to finish): a second or two.
FAST = ["--epochs", "3", "--hidden-size", "8", "--layers", "1", "--patience", "2", "--quiet"]
# A small network for tests that check what the model learned; the test sets --epochs itself.
SMALL_NET = ["--hidden-size", "16", "--layers", "1", "--no-plot", "--quiet"]

# caches that tools (not the tests) keep in the working directory; everything else is the tests' doing
_CACHES = {".hypothesis", ".pytest_cache", ".ruff_cache", "__pycache__"}


def invoke(*args: object, input: bytes | str | None = None):
    """Run the CLI in-process as a user types it (every argument turned into a string)."""
    from typer.testing import CliRunner

    from forecast.cli.app import app

    return CliRunner().invoke(app, [str(a) for a in args], input=input)


def _entries(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()} - _CACHES


@pytest.fixture(autouse=True)
def _nothing_written_into_the_repo():
    """Fail the test that leaves something new (a ./runs folder, say) in the repository or the cwd."""
    folders = {ROOT, Path.cwd()}
    before = {f: _entries(f) for f in folders}
    yield
    for folder, names in before.items():
        new = _entries(folder) - names
        assert not new, f"the test wrote {sorted(new)} into {folder}; write under tmp_path instead"


@pytest.fixture
def sample_csv(tmp_path: Path) -> Path:
    """A private copy of the alcohol sales sample."""
    dest = tmp_path / "alcohol_sales.csv"
    shutil.copy(SAMPLE, dest)
    return dest


def write_series(path: Path, values: np.ndarray, start: str = "2000-01-01", freq: str = "MS") -> Path:
    """Write a single series as CSV date,value."""
    import pandas as pd

    dates = pd.date_range(start, periods=len(values), freq=freq)
    pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "value": values}).to_csv(path, index=False)
    return path


def make_panel(
    n_series: int = 30, length: int = 96, short_every: int = 10, seed: int = 0, stagger: bool = True
):
    """A long panel (series, month, sales) of monthly seasonal series.

    Each series has its own level, trend, amplitude and phase, and 3% multiplicative noise; every
    ``short_every``-th series (0 for none) has only 20 rows, and ``stagger`` starts each series in a
    random month of 2010-2011 instead of all in January 2010.
    """
    import pandas as pd

    rng = np.random.default_rng(seed)
    rows = []
    for k in range(n_series):
        n = 20 if short_every and k % short_every == 0 else length
        t = np.arange(n)
        start = pd.Timestamp("2010-01-01")
        if stagger:
            start += pd.DateOffset(months=int(rng.integers(0, 24)))
        level, trend = 10 ** rng.uniform(1, 4), rng.uniform(-0.004, 0.012)
        amp, phase = rng.uniform(0.1, 0.4), rng.uniform(0, 2 * np.pi)
        y = level * np.exp(trend * t) * (1 + amp * np.sin(2 * np.pi * t / 12 + phase))
        y *= np.exp(rng.normal(0, 0.03, n))
        dates = pd.date_range(start, periods=n, freq="MS").strftime("%Y-%m-%d")
        rows.append(pd.DataFrame({"series": f"s{k:02d}", "month": dates, "sales": y.round(3)}))
    return pd.concat(rows, ignore_index=True)


@pytest.fixture
def seasonal_csv(tmp_path: Path) -> Path:
    """A 120-month trending seasonal series with mild noise."""
    rng = np.random.default_rng(1)
    t = np.arange(120)
    values = 100 * np.exp(0.01 * t) * (1 + 0.2 * np.sin(2 * np.pi * t / 12)) + rng.normal(0, 1, 120)
    return write_series(tmp_path / "seasonal.csv", values)
