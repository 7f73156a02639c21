"""Process faults, leftovers and option edges (issue 13, items 12 and 20-25)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import FAST, invoke

FORECAST = [sys.executable, "-m", "forecast"]


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
    result = invoke("predict", "--run", runs / "latest", "-q")
    assert result.exit_code == 0, result.output


# item 12: names of new runs and reports, leftovers of killed runs
def test_new_run_names_never_collide(sample_csv: Path, tmp_path: Path, monkeypatch) -> None:
    import datetime as dt

    from forecast.runs import dirs

    frozen = dt.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=dt.timezone.utc)
    monkeypatch.setattr(dirs, "_now", lambda: frozen)  # every run starts in the same instant
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


# item 21: a swap killed half-way leaves the old or the new run, and the next command repairs
def _swap_in_subprocess(data: Path, out: Path, exchange: bool):
    """A retrain into ``out`` that pauses in the middle of its swap (test hook), to be killed there."""

    patch = "" if exchange else "from forecast.runs import staging; staging._exchange = lambda *args: False; "
    code = f"import sys; {patch}from forecast.__main__ import run; sys.argv[0] = 'forecast'; run()"
    args = ["train", str(data), "--out", str(out), "--runs-dir", str(out.parent), *FAST]
    env = dict(os.environ, FORECAST_TEST_SWAP_PAUSE="60")
    return subprocess.Popen([sys.executable, "-c", code, *args], env=env, stderr=subprocess.DEVNULL)


def _wait_until(condition, timeout: float = 120.0) -> None:

    deadline = time.time() + timeout
    while not condition():
        assert time.time() < deadline, "timed out"
        time.sleep(0.05)


def test_kill_during_swap_keeps_a_run_in_place(seasonal_csv: Path, tmp_path: Path) -> None:
    from forecast.workflows.saved_run import load_run

    runs = tmp_path / "runs"
    good = runs / "good"
    _train(seasonal_csv, good)
    old = (good / "config.json").read_bytes()
    proc = _swap_in_subprocess(seasonal_csv, good, exchange=True)
    _wait_until(lambda: (good / "config.json").read_bytes() != old)  # the new run is in place
    proc.kill()
    proc.wait()
    assert load_run(runs / "latest").models  # never missing, never half
    assert [p.name for p in runs.iterdir() if p.name.startswith(".tmp-")]  # the old run, aside
    result = invoke("predict", "--run", runs / "latest", "-q")
    assert result.exit_code == 0, result.output
    _train(seasonal_csv, runs / "other")
    assert [p.name for p in runs.iterdir() if p.name.startswith((".tmp-", ".old-"))] == []


def test_swap_killed_between_renames_is_repaired_by_predict_and_train(
    seasonal_csv: Path, tmp_path: Path
) -> None:
    runs = tmp_path / "runs"
    good = runs / "good"
    _train(seasonal_csv, good)
    before = (good / "config.json").read_bytes()
    for repair in ("predict", "train"):
        proc = _swap_in_subprocess(seasonal_csv, good, exchange=False)  # where no atomic exchange exists
        _wait_until(lambda: not good.exists())
        proc.kill()
        proc.wait()
        assert not (runs / "latest").exists()  # dangling: the old run waits in .old-good-PID-*
        if repair == "predict":
            result = invoke("predict", "--run", runs / "latest", "-q")
        else:
            result = invoke("train", seasonal_csv, "--runs-dir", runs, "--if-changed", *FAST)
        assert result.exit_code == 0, result.output
        assert (good / "config.json").read_bytes() == before  # the old run, put back
        assert [p.name for p in runs.iterdir() if p.name.startswith(".old-")] == []


def test_dead_writers_temporaries_are_removed(seasonal_csv: Path, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    good = runs / "good"
    _train(seasonal_csv, good)
    partial = good / ".forecast.csv.999999999.tmp"  # a predict killed while writing
    partial.write_text("date,forecast\n2010-01-01,1")
    mine = good / f".forecast.csv.{os.getppid()}.tmp"  # a live writer's: kept
    mine.write_text("")
    result = invoke("predict", "--run", good, "-q")
    assert result.exit_code == 0, result.output
    assert not partial.exists() and mine.exists()


# item 22: predict and a retrain of the same run take turns
def test_retrain_waits_for_a_reading_predict(seasonal_csv: Path, tmp_path: Path) -> None:

    from forecast.runs import locks

    runs = tmp_path / "runs"
    good = runs / "good"
    _train(seasonal_csv, good)
    old = (good / "config.json").read_bytes()
    args = ["train", str(seasonal_csv), "--out", str(good), "--runs-dir", str(runs), *FAST]
    with locks.reading(good, wait=0):  # what predict holds while it reads the run
        proc = subprocess.Popen([*FORECAST, *args], stderr=subprocess.PIPE, text=True)
        staged = lambda: any((p / "config.json").exists() for p in runs.glob(".tmp-good-*"))  # noqa: E731
        _wait_until(staged)  # trained and staged: only the swap is left
        time.sleep(1.0)
        assert proc.poll() is None and (good / "config.json").read_bytes() == old  # it waits
    assert proc.wait(timeout=120) == 0, proc.stderr.read() if proc.stderr else ""
    assert (good / "config.json").read_bytes() != old


def test_predict_waits_for_a_swap(seasonal_csv: Path, tmp_path: Path) -> None:
    from forecast.runs import locks

    good = tmp_path / "runs" / "good"
    _train(seasonal_csv, good)
    with locks.locked(good, shared=False, wait=0):  # a retrain swapping its run in
        result = invoke("predict", "--run", good, "--wait", "0.2", "-q")
        assert result.exit_code == 4 and "being swapped in" in result.stderr, result.output
    result = invoke("predict", "--run", good, "-q")
    assert result.exit_code == 0, result.output


# item 24: disk full or read-only: one exit code (6) and message, nothing half-written
def _no_space(*args, **kwargs):
    import errno

    raise OSError(errno.ENOSPC, "No space left on device")


def test_disk_full_in_train_is_exit_6_and_writes_nothing(
    sample_csv: Path, tmp_path: Path, monkeypatch
) -> None:
    import safetensors.torch

    runs = tmp_path / "runs"
    good = runs / "good"
    _train(sample_csv, good)
    before = sorted(p.name for p in runs.iterdir())
    monkeypatch.setattr(safetensors.torch, "save_file", _no_space)
    for extra in ((), ("--out", good)):
        result = invoke("train", sample_csv, "--runs-dir", runs, *extra, *FAST)
        assert result.exit_code == 6, result.output
        assert "no space left on device writing" in result.stderr and "model.safetensors" in result.stderr
        assert sorted(p.name for p in runs.iterdir()) == before  # no staged leftovers, latest kept
    monkeypatch.undo()
    import forecast.runs.plot

    monkeypatch.setattr(forecast.runs.plot, "plot_series", _no_space)  # any other write: the same code
    result = invoke("train", sample_csv, "--runs-dir", runs, *FAST)
    assert result.exit_code == 6 and "no space left on device writing" in result.stderr, result.output
    assert sorted(p.name for p in runs.iterdir()) == before


def test_disk_full_in_predict_is_exit_6(sample_csv: Path, tmp_path: Path, monkeypatch) -> None:
    import io

    import forecast.data.output

    good = tmp_path / "runs" / "good"
    _train(sample_csv, good)

    class Full(io.BytesIO):
        def write(self, data):  # type: ignore[override]
            _no_space()

    monkeypatch.setattr(forecast.data.output, "open", lambda *a, **k: Full(), raising=False)
    target = tmp_path / "fc.csv"
    result = invoke("predict", "--run", good, "--out", target, "-q")
    assert result.exit_code == 6, result.output
    assert f"no space left on device writing {target}" in result.stderr
    assert [p.name for p in tmp_path.glob("*fc.csv*")] == [".fc.csv.lock"]  # the lock file only


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_read_only_directory_is_exit_6(sample_csv: Path, tmp_path: Path) -> None:
    good = tmp_path / "runs" / "good"
    _train(sample_csv, good)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        result = invoke("predict", "--run", good, "--out", locked / "fc.csv", "-q")
        assert result.exit_code == 6 and "permission denied writing" in result.stderr, result.output
        result = invoke("train", sample_csv, "--out", locked / "run", "--runs-dir", tmp_path / "runs", *FAST)
        assert result.exit_code == 6 and "permission denied writing" in result.stderr, result.output
    finally:
        locked.chmod(0o755)


# item 25: option edges are usage errors, checked before any work
@pytest.mark.parametrize(
    "args",
    [
        ["train", "DATA", "--wait", "nan"],
        ["predict", "--wait", "inf"],
        ["train", "DATA", "--seed", "-1"],
        ["train", "DATA", "--seed", str(2**32)],
        ["train", "DATA", "--horizon", "100000"],
        ["predict", "--horizon", "100000"],
    ],
)
def test_option_edges_are_exit_2(sample_csv: Path, args: list[str]) -> None:
    result = invoke(*[str(sample_csv) if a == "DATA" else a for a in args])
    assert result.exit_code == 2, result.output


def test_wait_nan_in_a_config_file_is_exit_2(sample_csv: Path, tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[train]\nwait = nan\n")
    result = invoke("train", sample_csv, "--config", config, "--runs-dir", tmp_path, *FAST)
    assert result.exit_code == 2 and "not a finite number" in result.stderr, result.output


def test_forecast_past_the_year_9999_is_exit_2(tmp_path: Path) -> None:
    import numpy as np
    from conftest import write_series

    data = write_series(tmp_path / "y.csv", 100 + np.arange(40.0), start="1980-01-01", freq="YS")
    _train(data, tmp_path / "runs" / "run", "--horizon", 2, "--lookback", 4)
    result = invoke("predict", "--run", tmp_path / "runs" / "run", "--horizon", 100, "-q")
    assert result.exit_code == 0, result.output
    result = invoke("predict", "--run", tmp_path / "runs" / "run", "--horizon", 9000)
    assert result.exit_code == 2 and "past the year 9999" in result.stderr, result.output


@pytest.mark.parametrize("kind", ["device", "fifo", "big", "dir"])
def test_config_must_be_a_small_regular_file(sample_csv: Path, tmp_path: Path, kind: str) -> None:

    path = {"device": Path("/dev/zero"), "fifo": tmp_path / "fifo", "big": tmp_path / "big.toml"}.get(
        kind, tmp_path
    )
    if kind == "fifo":
        os.mkfifo(path)
    if kind == "big":
        path.write_text("# padding\n" * 200_000)
    cmd = [*FORECAST, "validate", str(sample_csv), "--config", str(path)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)  # never blocks
    assert done.returncode == 2, done.stderr
    assert ("not a regular file" if kind != "big" else "larger than") in done.stderr


@pytest.mark.parametrize("kind", ["file", "dir"])
def test_out_that_is_not_a_run_is_refused_before_training(
    sample_csv: Path, tmp_path: Path, kind: str
) -> None:
    out = tmp_path / "precious"
    if kind == "file":
        out.write_text("keep me")
    else:
        out.mkdir()
        (out / "thesis.tex").write_text("keep me")
    for command in ("train", "backtest"):  # 10^6 epochs: refused before any of them
        result = invoke(command, sample_csv, "--out", out, "--runs-dir", tmp_path, "--epochs", 1_000_000)
        assert result.exit_code == 2 and "not a run directory" in result.stderr, result.output
    assert (out if kind == "file" else out / "thesis.tex").read_text() == "keep me"


# item 23: Ctrl-C during start-up (imports) is one line and exit 130, never a traceback
def test_early_sigint_is_one_line_and_exit_130(sample_csv: Path, tmp_path: Path) -> None:

    # the `forecast` script from its first line on (a signal while Python itself starts is Python's)
    start = "import sys; from forecast.__main__ import run; print('up', flush=True); sys.argv[0] = 'forecast'; run()"
    cmd = [sys.executable, "-c", start, "train", str(sample_csv), "--runs-dir", str(tmp_path), *FAST]
    for delay in (0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0):
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert proc.stdout is not None and proc.stdout.readline() == "up\n"
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=120)
        assert "Traceback" not in stderr and "Exception ignored" not in stderr, (delay, stderr)
        # 130, or -2 when the interpreter itself ends by SIGINT after our line (a shell shows 130)
        assert proc.returncode in (0, 130, -signal.SIGINT), (delay, proc.returncode, stderr)
        if proc.returncode != 0:
            assert stderr.strip().splitlines() == ["error: interrupted by SIGINT; nothing was written"]
