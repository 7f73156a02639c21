"""Process faults, leftovers and option edges (issue 13, items 12 and 20-25)."""

from __future__ import annotations

import sys
from pathlib import Path

from conftest import FAST
from typer.testing import CliRunner

from forecast.cli import app

runner = CliRunner()
FORECAST = [sys.executable, "-m", "forecast"]


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def _train(data: Path, out: Path, *extra: object):
    result = invoke("train", data, "--out", out, "--runs-dir", out.parent, *FAST, *extra)
    assert result.exit_code == 0, result.output
    return result


# item 20: a failed retrain never replaces the good model
def test_diverged_retrain_is_exit_5_and_keeps_latest(sample_csv: Path, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    good = runs / "good"
    _train(sample_csv, good)
    before = sorted(p.name for p in runs.iterdir())
    result = invoke("train", sample_csv, "--runs-dir", runs, "--lr", "1e30", *FAST)
    assert result.exit_code == 5, result.output
    assert "not finite" in result.stderr and "previous run is kept" in result.stderr
    assert sorted(p.name for p in runs.iterdir()) == before  # nothing written
    assert (runs / "latest").resolve() == good.resolve()
    config = (good / "config.json").read_bytes()
    result = invoke("train", sample_csv, "--out", good, "--runs-dir", runs, "--lr", "1e30", *FAST)
    assert result.exit_code == 5, result.output
    assert (good / "config.json").read_bytes() == config
    assert invoke("predict", "--run", runs / "latest", "-q").exit_code == 0
