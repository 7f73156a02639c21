"""Shared fixtures: tiny data and fast settings so the suite stays quick."""

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

# options that keep a CLI training run to a second or two
FAST = ["--epochs", "3", "--hidden-size", "8", "--layers", "1", "--patience", "2", "--quiet"]


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


@pytest.fixture
def seasonal_csv(tmp_path: Path) -> Path:
    """A 120-month trending seasonal series with mild noise."""
    rng = np.random.default_rng(1)
    t = np.arange(120)
    values = 100 * np.exp(0.01 * t) * (1 + 0.2 * np.sin(2 * np.pi * t / 12)) + rng.normal(0, 1, 120)
    return write_series(tmp_path / "seasonal.csv", values)
