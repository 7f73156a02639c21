"""Unattended safety: signals, crashes, locks, untrusted run directories, odd values."""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import FAST, invoke, write_series
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FORECAST = [sys.executable, "-m", "forecast"]


def _train(data: Path, out: Path, *extra: object):
    result = invoke("train", data, "--out", out, "--runs-dir", out.parent, *FAST, *extra)
    assert result.exit_code == 0, result.output
    return result


def _slow_train(data: Path, out: Path, runs: Path) -> subprocess.Popen:
    """A training run long enough to be interrupted (many epochs, no early stop)."""
    cmd = [*FORECAST, "train", str(data), "--out", str(out), "--runs-dir", str(runs), "--epochs", "100000"]
    cmd += ["--patience", "100000", "--hidden-size", "8", "--layers", "1", "--json"]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_training(proc: subprocess.Popen, out: Path, timeout: float = 60.0) -> None:
    """Until the process holds the lock on ``out`` (it then reads the data and trains)."""
    owner = out.parent / f".{out.name}.owner"
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise AssertionError(proc.stderr.read() if proc.stderr else "exited early")
        if owner.exists():
            time.sleep(1.5)
            return
        time.sleep(0.05)
    raise AssertionError("training did not start")


@pytest.mark.parametrize("signum,code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_stops_at_once_and_writes_nothing(
    seasonal_csv: Path, tmp_path: Path, signum: int, code: int
) -> None:
    runs = tmp_path / "runs"
    out = runs / "new"
    proc = _slow_train(seasonal_csv, out, runs)
    _wait_for_training(proc, out)
    start = time.time()
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=30)
    assert time.time() - start < 10
    assert proc.returncode == code, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert json.loads(stdout)["exit_code"] == code
    assert not out.exists() and not (runs / "latest").exists()
    assert [p.name for p in runs.iterdir() if p.name.startswith((".tmp-", ".old-", ".new.owner"))] == []


def test_sigkill_never_damages_the_previous_run(seasonal_csv: Path, tmp_path: Path) -> None:
    from forecast.workflows.saved_run import load_run

    runs = tmp_path / "runs"
    good = runs / "good"
    _train(seasonal_csv, good)
    invoke("predict", "--run", good, "-q")
    before = (good / "forecast.csv").read_bytes()
    rng = np.random.default_rng(0)
    for k in range(4):
        proc = _slow_train(seasonal_csv, runs / f"killed{k}", runs)
        time.sleep(float(rng.uniform(1.5, 4.0)))  # start-up, reading, or mid-training
        proc.kill()
        proc.wait()
        assert (runs / "latest").resolve() == good.resolve()
        assert load_run(runs / "latest").models  # complete and loadable
        assert (good / "forecast.csv").read_bytes() == before
        assert not (runs / f"killed{k}").exists()
    _train(seasonal_csv, runs / "after")  # the next run cleans the leftovers
    assert [p.name for p in runs.iterdir() if p.name.startswith(".tmp-")] == []


def test_second_train_on_same_out_fails_naming_the_holder(seasonal_csv: Path, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    out = runs / "shared"
    first = _slow_train(seasonal_csv, out, runs)
    try:
        _wait_for_training(first, out)
        result = invoke("train", seasonal_csv, "--out", out, "--runs-dir", runs, *FAST)
        assert result.exit_code == 4, result.output
        assert f"pid {first.pid}" in result.stderr and "--wait" in result.stderr
        started = time.time()
        result = invoke("train", seasonal_csv, "--out", out, "--runs-dir", runs, "--wait", 1, *FAST)
        assert result.exit_code == 4 and time.time() - started >= 1
    finally:
        first.kill()
        first.wait()
    _train(seasonal_csv, out)  # a dead holder's lock does not block


def test_concurrent_predicts_to_one_file_never_interleave(seasonal_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    _train(seasonal_csv, out)
    target = tmp_path / "fc.csv"
    cmd = [*FORECAST, "predict", "--run", str(out), "--horizon", "500", "--out", str(target), "-q"]
    procs = [subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    for p in procs:
        assert p.wait(timeout=120) == 0, p.stderr.read() if p.stderr else ""
    frame = pd.read_csv(target)
    assert len(frame) == 500 and frame["date"].is_unique


def test_pickle_weights_refused_via_cli(seasonal_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    _train(seasonal_csv, out)
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    weights = out / "model.safetensors"
    weights.write_bytes(pickle.dumps({"w": Payload()}))
    config = json.loads((out / "config.json").read_text())
    from forecast.runs.files import sha256_file

    config["weights"]["sha256"] = sha256_file(weights)  # an attacker rewrites the hash too
    (out / "config.json").write_text(json.dumps(config))
    result = invoke("predict", "--run", out)
    assert result.exit_code == 4 and "not a valid safetensors file" in result.stderr
    assert not marker.exists()


@pytest.mark.parametrize(
    "mutate,message",
    [
        (lambda c: c.update(schema_version=1), "schema version 1"),
        (lambda c: c["settings"]["model"].update(hidden_size="big"), "model.hidden_size"),
        (lambda c: c["settings"]["window"].update(lookback=-3), "--lookback must be at least 1"),
        (lambda c: c.pop("weights"), "section 'weights'"),
        (lambda c: c["data"].update(anchor="soon"), "data.anchor is not a date"),
    ],
)
def test_invalid_config_refused(seasonal_csv: Path, tmp_path: Path, mutate, message: str) -> None:
    out = tmp_path / "run"
    _train(seasonal_csv, out)
    config = json.loads((out / "config.json").read_text())
    mutate(config)
    (out / "config.json").write_text(json.dumps(config))
    result = invoke("predict", "--run", out)
    assert result.exit_code == 4, result.output
    assert message in result.stderr


def test_truncated_weights_refused(seasonal_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    _train(seasonal_csv, out)
    weights = out / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    result = invoke("predict", "--run", out)
    assert result.exit_code == 4 and "SHA-256" in result.stderr


@pytest.mark.parametrize(
    "values,label",
    [
        (np.full(60, 7.0), "constant"),
        (np.zeros(60), "zeros"),
        (np.sin(np.arange(60)) * 50 - 20, "negative"),
        (np.full(60, 1e300) * (1 + 0.1 * np.sin(np.arange(60))), "huge"),
        (np.full(60, 1e-300) * (1 + 0.1 * np.sin(np.arange(60))), "tiny"),
    ],
)
@pytest.mark.parametrize("scaler", ["window", "standard", "minmax"])
def test_odd_values_never_give_nan(tmp_path: Path, values: np.ndarray, label: str, scaler: str) -> None:
    path = write_series(tmp_path / f"{label}.csv", values)
    out = tmp_path / "run"
    result = invoke("train", path, "--out", out, "--runs-dir", tmp_path, "--scaler", scaler, *FAST)
    assert result.exit_code == 0, result.output  # every one of these series is accepted
    result = invoke("predict", "--run", out, "-q")
    assert result.exit_code == 0, result.output
    scale = np.abs(values).max()
    for name in ("forecast.csv", "holdout.csv"):
        forecast = pd.read_csv(out / name)["forecast"].to_numpy()
        assert len(forecast) == 12 and np.isfinite(forecast).all(), (name, forecast)
        if scale == 0:
            assert (forecast == 0).all(), (name, forecast)
        else:  # on the series' own scale: neither overflowed nor collapsed to zero
            assert 0.1 * scale <= np.abs(forecast).max() <= 10 * scale, (name, forecast, scale)


def test_validate_reports_and_exit_codes(tmp_path: Path) -> None:
    good = write_series(tmp_path / "good.csv", np.arange(1.0, 61.0))
    result = invoke("validate", good, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] and report["series"][0]["rows"] == 60 and report["freq"] == "MS"
    assert report["series"][0]["first_date"] == "2000-01-01" and report["series"][0]["too_short"] is False
    bad = tmp_path / "bad.csv"
    bad.write_text("date,value\n2020-01-01,1\n2020-02-01,\n2020-03-01,3\n2020-04-01,4\n")
    result = invoke("validate", bad)
    assert result.exit_code == 3 and "empty or NaN value" in result.stderr
    short = write_series(tmp_path / "short.csv", np.arange(1.0, 16.0))  # too short for Theta and ETS too
    result = invoke("validate", short, "--json")
    assert result.exit_code == 3
    assert json.loads(result.stdout)["series"][0]["too_short"] is True


def test_if_changed_skips_identical_training(seasonal_csv: Path, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    args = ["train", seasonal_csv, "--runs-dir", runs, "--if-changed", "--json", *FAST]
    first = invoke(*args)
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["skipped"] is False
    again = invoke(*args)
    assert again.exit_code == 0, again.output
    summary = json.loads(again.stdout)
    assert summary["skipped"] is True and summary["run_dir"] == json.loads(first.stdout)["run_dir"]
    assert len([p for p in runs.iterdir() if not p.name.startswith(".") and p.name != "latest"]) == 1
    changed = invoke(*args, "--seed", 3)
    assert changed.exit_code == 0, changed.output
    assert json.loads(changed.stdout)["skipped"] is False


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.binary(max_size=300), st.text(alphabet="0123456789-,;:/.\n\r\tabcTZ \"'", max_size=300)))
def test_random_input_gives_exit_0_or_3(tmp_path: Path, content: bytes | str) -> None:
    path = tmp_path / "fuzz.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = invoke("validate", path)
    assert result.exit_code in (0, 3), result.output
    assert "Traceback" not in result.output
