"""Warm start: ``forecast train --init RUN`` continues from a verified parent run's weights,
records the parent and its lineage, refuses a network that does not fit, and says when the
parent's weights have seen the hold-out."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import invoke, write_series
from safetensors.numpy import load_file

NET = ["--hidden-size", "8", "--layers", "1", "--no-plot", "--quiet"]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # train points ./runs/latest at its run


@pytest.fixture
def parent(seasonal_csv: Path, tmp_path: Path) -> Path:
    out = tmp_path / "parent"
    result = invoke("train", seasonal_csv, "--out", out, *NET)
    assert result.exit_code == 0, result.output
    return out


def _weights(run: Path) -> dict[str, np.ndarray]:
    return {k: v for k, v in load_file(run / "model.safetensors").items() if not k.startswith("calibration")}


def test_init_starts_from_the_parents_weights(seasonal_csv: Path, tmp_path: Path, parent: Path) -> None:
    """With a vanishing learning rate the child's weights are the parent's; without --init,
    the same settings give other weights."""
    tiny = ("--lr", "1e-7", "--epochs", 1)  # Adam moves a weight by about lr a step
    warm, cold = tmp_path / "warm", tmp_path / "cold"
    assert invoke("train", seasonal_csv, "--out", warm, "--init", parent, *tiny, *NET).exit_code == 0
    assert invoke("train", seasonal_csv, "--out", cold, *tiny, *NET).exit_code == 0
    before, after, fresh = _weights(parent), _weights(warm), _weights(cold)
    assert before.keys() == after.keys()
    for name in before:
        np.testing.assert_allclose(after[name], before[name], atol=1e-5)
    assert any(not np.allclose(fresh[n], before[n], atol=1e-3) for n in before)


def test_init_fine_tunes_a_share_of_the_budget_and_records_the_lineage(
    seasonal_csv: Path, tmp_path: Path, parent: Path
) -> None:
    child, grandchild = tmp_path / "child", tmp_path / "grandchild"
    result = invoke("train", seasonal_csv, "--out", child, "--init", parent, *NET)
    assert result.exit_code == 0, result.output
    meta = json.loads((child / "config.json").read_text())
    assert meta["settings"]["train"]["epochs"] == 3 and meta["settings"]["train"]["init"] == str(parent)
    history = pd.read_csv(child / "history.csv")
    assert (history["phase"] == "train").sum() == 3 and (history["phase"] == "refit").sum() == 1
    parent_meta = json.loads((parent / "config.json").read_text())
    assert meta["parent"]["run"] == str(parent.resolve())
    assert meta["parent"]["weights_sha256"] == parent_meta["weights"]["sha256"]
    assert meta["parent"]["lineage"] == []
    assert invoke("train", seasonal_csv, "--out", grandchild, "--init", child, *NET).exit_code == 0
    lineage = json.loads((grandchild / "config.json").read_text())["parent"]["lineage"]
    assert [e["run"] for e in lineage] == [str(parent.resolve())]
    card = invoke("info", grandchild)
    assert card.exit_code == 0, card.output
    lines = card.stdout.splitlines()
    assert any(line.startswith("parent") and str(child.resolve()) in line for line in lines)
    assert any(line.startswith("lineage") and str(parent.resolve()) in line for line in lines)


def test_init_into_its_own_directory_is_the_weekly_retrain(seasonal_csv: Path, tmp_path: Path) -> None:
    """The cron pattern: --out R --init R replaces R with its own continuation."""
    run = tmp_path / "weekly"
    assert invoke("train", seasonal_csv, "--out", run, *NET).exit_code == 0
    first = json.loads((run / "config.json").read_text())["weights"]["sha256"]
    result = invoke("train", seasonal_csv, "--out", run, "--init", run, *NET)
    assert result.exit_code == 0, result.output
    meta = json.loads((run / "config.json").read_text())
    assert meta["parent"]["weights_sha256"] == first != meta["weights"]["sha256"]


def test_init_follows_the_parents_schedule(seasonal_csv: Path, tmp_path: Path) -> None:
    parent = tmp_path / "plateau"
    assert (
        invoke("train", seasonal_csv, "--out", parent, "--schedule", "plateau", "--epochs", 4, *NET).exit_code
        == 0
    )
    child = tmp_path / "child"
    assert invoke("train", seasonal_csv, "--out", child, "--init", parent, *NET).exit_code == 0
    train = json.loads((child / "config.json").read_text())["settings"]["train"]
    assert train["schedule"] == "plateau" and train["epochs"] == 45  # 30% of plateau's 150


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (("--hidden-size", "16"), "--hidden-size 16 (it has 8)"),
        (("--model", "gru"), "--model gru (it has lstm)"),
        (("--horizon", "6"), "--horizon 6 (it has 12)"),
        (("--calendar",), "calendar inputs --calendar (it has --no-calendar)"),
        (("--deseason", "off"), "--deseason off (it has auto)"),
    ],
)
def test_init_refuses_a_network_that_does_not_fit(
    seasonal_csv: Path, tmp_path: Path, parent: Path, extra: tuple[str, ...], named: str
) -> None:
    net = [a for a in NET if a != "8" and a != "--hidden-size"] if extra[0] == "--hidden-size" else NET
    result = invoke("train", seasonal_csv, "--out", tmp_path / "child", "--init", parent, *extra, *net)
    assert result.exit_code == 2, result.output
    assert named in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "child").exists()


def test_init_verifies_the_parent_like_any_run(seasonal_csv: Path, tmp_path: Path, parent: Path) -> None:
    weights = parent / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    result = invoke("train", seasonal_csv, "--out", tmp_path / "child", "--init", parent, *NET)
    assert result.exit_code == 4 and "SHA-256" in result.stderr
    result = invoke("train", seasonal_csv, "--out", tmp_path / "child", "--init", tmp_path / "nope", *NET)
    assert result.exit_code == 4 and "nope" in result.stderr


def test_a_hold_out_the_parent_has_seen_is_called_optimistic(tmp_path: Path) -> None:
    """A parent trained up to month 96 has seen 6 of a 12-month hold-out ending at month 102;
    one trained before the hold-out has seen none of it."""
    t = np.arange(102)
    y = 100 + t + 10 * np.sin(2 * np.pi * t / 12)
    early, late = tmp_path / "early.csv", tmp_path / "late.csv"
    write_series(early, y[:96])
    write_series(late, y)
    parent = tmp_path / "parent"
    assert invoke("train", early, "--out", parent, *NET).exit_code == 0
    child = tmp_path / "child"
    result = invoke("train", late, "--out", child, "--init", parent, *NET[:-1])
    assert result.exit_code == 0, result.output
    assert "covers 6 of the hold-out's 12 points" in " ".join(result.stderr.split())
    assert json.loads((child / "metrics.json").read_text())["holdout_seen_by_parent"] == 0.5
    honest = tmp_path / "honest"
    result = invoke("train", late, "--out", honest, "--init", parent, "--test-size", 6, *NET[:-1])
    assert result.exit_code == 0 and "covers" not in result.stderr
    assert "holdout_seen_by_parent" not in json.loads((honest / "metrics.json").read_text())
