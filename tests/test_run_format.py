"""The run directory format (``runs.run``): schema 3 keeps each setting once; schema 2 runs are
migrated explicitly, other versions refused with exit 4 naming who wrote them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import FAST, ROOT, SAMPLE, invoke

from forecast.core.config import SCHEMA_VERSION
from forecast.core.errors import RunError
from forecast.runs import run as runformat

# a run written by forecast 0.1.0 (schema 2) on sample_data/alcohol_sales.csv, and its forecast
V2_RUN = ROOT / "tests" / "data" / "run-v2"
V2_FORECAST = ROOT / "tests" / "data" / "run-v2-forecast.csv"


@pytest.fixture
def v2_run(tmp_path: Path) -> Path:
    dest = tmp_path / "run-v2"
    shutil.copytree(V2_RUN, dest)
    return dest


def test_schema_3_keeps_each_setting_once(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = invoke("train", SAMPLE, "--out", out, "--runs-dir", tmp_path / "runs", *FAST)
    assert result.exit_code == 0, result.output
    meta = json.loads((out / "config.json").read_text())
    assert meta["schema_version"] == SCHEMA_VERSION == 3
    assert list(meta["data"]) == list(runformat.DATA_FACTS)  # no copy of path, columns, freq, season
    assert list(meta["training"]) == list(runformat.TRAINING_FIELDS)
    given = meta["settings"]["data"]
    assert given["path"] == str(SAMPLE.resolve()) and given["freq"] == "MS" and given["date_col"] == "DATE"
    assert meta["settings"]["window"]["season"] == 12
    card = json.loads(invoke("info", out, "--json").stdout)  # info still shows them, from the settings
    assert (card["data"]["path"], card["data"]["freq"], card["data"]["season"]) == (given["path"], "MS", 12)


def test_migrate_v2_drops_the_copies_of_the_settings(v2_run: Path) -> None:
    raw = json.loads((v2_run / "config.json").read_text())
    assert raw["schema_version"] == 2 and raw["data"]["freq"] == "MS"
    migrated = runformat.migrate_v2(raw, v2_run / "config.json")
    assert migrated["schema_version"] == 3
    assert list(migrated["data"]) == list(runformat.DATA_FACTS)
    assert migrated["settings"] == raw["settings"] and migrated["weights"] == raw["weights"]
    found = runformat.read(v2_run)
    assert found.config.data.freq == "MS" and found.config.window.season == 12


def test_v2_run_predicts_as_the_version_that_wrote_it(v2_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "forecast.csv"
    result = invoke("predict", "--run", v2_run, "--data", SAMPLE, "--out", out)
    assert result.exit_code == 0, result.output
    got, expected = pd.read_csv(out), pd.read_csv(V2_FORECAST)
    assert list(got["method"]) == ["model"] * len(got)  # a single series' method column is new
    got = got.drop(columns="method")
    assert list(got.columns) == list(expected.columns) and list(got["date"]) == list(expected["date"])
    np.testing.assert_allclose(got.drop(columns="date"), expected.drop(columns="date"), rtol=1e-6)
    info = invoke("info", v2_run, "--json")
    assert info.exit_code == 0, info.output
    assert json.loads(info.stdout)["data"]["freq"] == "MS"
    assert json.loads((v2_run / "config.json").read_text())["schema_version"] == 2  # read, never rewritten


@pytest.mark.parametrize("field", ["data.zone", "data.dayfirst", "training.processes"])
def test_v2_run_from_before_a_field_is_refused(v2_run: Path, field: str) -> None:
    raw = json.loads((v2_run / "config.json").read_text())
    section, key = field.split(".")
    del raw[section][key]
    (v2_run / "config.json").write_text(json.dumps(raw))
    with pytest.raises(RunError, match=rf"schema version 2 run written by forecast 0\.1\.0 before {field}"):
        runformat.read(v2_run)
    result = invoke("predict", "--run", v2_run, "--data", SAMPLE)
    assert result.exit_code == 4, result.output
    assert "train again" in result.stderr


@pytest.mark.parametrize("version", [1, 4, "3"])
def test_other_schema_versions_refused(v2_run: Path, version: object) -> None:
    raw = json.loads((v2_run / "config.json").read_text())
    raw["schema_version"] = version
    (v2_run / "config.json").write_text(json.dumps(raw))
    for command in (
        ["predict", "--run", v2_run, "--data", SAMPLE],
        ["info", v2_run],
        ["plot", "--run", v2_run],
    ):
        result = invoke(*command)
        assert result.exit_code == 4, result.output
        assert f"run schema version {version!r} (written by forecast 0.1.0)" in result.stderr
        assert "reads schema versions 2 and 3; train again" in result.stderr


def test_v3_requires_every_data_fact(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert invoke("train", SAMPLE, "--out", out, "--runs-dir", tmp_path / "runs", *FAST).exit_code == 0
    meta = json.loads((out / "config.json").read_text())
    del meta["data"]["zone"]  # schema 3 has no "runs from before" it was recorded
    (out / "config.json").write_text(json.dumps(meta))
    with pytest.raises(RunError, match=r"data.zone must be null, 'wall' or 'utc'"):
        runformat.read(out)
