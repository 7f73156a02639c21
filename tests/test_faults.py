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


# item 12: names of new runs and reports, leftovers of killed runs
def test_new_run_names_never_collide(sample_csv: Path, tmp_path: Path, monkeypatch) -> None:
    import datetime as dt

    from forecast import artifacts

    frozen = dt.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=dt.timezone.utc)
    monkeypatch.setattr(artifacts, "_now", lambda: frozen)  # every run starts in the same instant
    runs = tmp_path / "runs"
    for _ in range(2):
        result = invoke("backtest", sample_csv, "--runs-dir", runs, "--folds", 1, "--no-plot", *FAST)
        assert result.exit_code == 0, result.output
        result = invoke("train", sample_csv, "--runs-dir", runs, "--no-plot", *FAST)
        assert result.exit_code == 0, result.output
    names = sorted(p.name for p in runs.iterdir() if not p.name.startswith("."))
    assert len(names) == 5 and "latest" in names  # two reports, two runs, the link
    assert all("20240102T030405.123456Z" in n for n in names if n != "latest"), names


def test_killed_train_leaves_nothing_the_next_does_not_remove(seasonal_csv: Path, tmp_path: Path) -> None:
    import os
    import subprocess
    import time

    runs = tmp_path / "runs"
    _train(seasonal_csv, runs / "good")
    cmd = [*FORECAST, "train", str(seasonal_csv), "--runs-dir", str(runs), "--epochs", "100000"]
    cmd += ["--patience", "100000", "--hidden-size", "8", "--layers", "1", "-q"]
    proc = subprocess.Popen(cmd, stderr=subprocess.DEVNULL)
    time.sleep(3.0)  # start-up, reading or training: its run is not claimed on disk before the end
    proc.kill()
    proc.wait()
    # what other killed processes leave: a lock note, a half-made link
    (runs / ".other.owner").write_text(f"pid 999999999 on {os.uname().nodename}\n")
    (runs / ".latest-999999999.tmp").symlink_to("good")
    (runs / "20200101T000000Z").mkdir()  # an empty claim of an older version
    assert [
        p.name for p in runs.iterdir() if not p.name.startswith(".") and p.name not in ("good", "latest")
    ] == ["20200101T000000Z"]
    _train(seasonal_csv, runs / "next")
    left = sorted(p.name for p in runs.iterdir())
    assert left == [".good.lock", ".next.lock", "good", "latest", "next"], left
