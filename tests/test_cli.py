"""End to end through the Typer app, as a user types it."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import FAST, ROOT, invoke, write_series

from forecast.cli.app import app

ANSI = re.compile(r"\x1b\[")


def train(data: Path, out: Path, *extra: object):
    result = invoke("train", data, "--out", out, "--runs-dir", out.parent / "runs", *FAST, *extra)
    assert result.exit_code == 0, result.output
    return result


def test_every_command_has_help_and_is_in_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    for cmd in app.registered_commands:
        name = cmd.name
        result = invoke(name, "--help")
        assert result.exit_code == 0, result.output
        assert "Example:" in result.output or "Examples:" in result.output
        assert f"forecast {name}" in readme, name


def test_train_then_predict_on_sample(sample_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    train(sample_csv, out)
    for name in (
        "config.json",
        "model.safetensors",
        "series.json",
        "metrics.json",
        "holdout.csv",
        "history.csv",
    ):
        assert (out / name).is_file(), name
    latest = tmp_path / "runs" / "latest"
    assert latest.resolve() == out.resolve()
    config = json.loads((out / "config.json").read_text())
    assert config["data"]["sha256"] and config["versions"]["torch"].startswith("2.")
    assert config["settings"]["window"]["lookback"] == 24 and config["settings"]["window"]["horizon"] == 12
    holdout = pd.read_csv(out / "holdout.csv")
    bands = ["lo-80", "hi-80", "lo-95", "hi-95"]
    baselines = ["naive", "seasonal_naive", "drift"]
    candidates = ["net", "comb"]
    assert list(holdout.columns) == ["date", "actual", "forecast", *bands, "method", *candidates, *baselines]
    assert set(holdout["method"]) <= {"model", "comb"} and holdout["method"].nunique() == 1
    assert holdout["date"].iloc[0] == "2021-08-01" and len(holdout) == 12
    history = pd.read_csv(out / "history.csv")
    assert list(history.columns) == ["phase", "epoch", "loss", "val_loss"]
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["model"]) == {"mae", "rmse", "mape", "smape", "mase"}
    assert metrics["comparison"]["baseline"] in metrics["verdict"].replace(" ", "_")

    result = invoke("predict", "--run", latest, "--horizon", 15)
    assert result.exit_code == 0, result.output
    forecast = pd.read_csv(out / "forecast.csv")
    assert list(forecast.columns) == ["date", "forecast", *bands, "method"]
    series = json.loads((out / "series.json").read_text())
    assert forecast["method"].tolist() == series["method"] * 15  # what train chose
    f = forecast
    assert ((f["lo-95"] <= f["lo-80"]) & (f["lo-80"] < f["forecast"]) & (f["forecast"] < f["hi-80"])).all()
    assert (f["hi-80"] <= f["hi-95"]).all()
    assert forecast["date"].tolist()[:2] == ["2022-08-01", "2022-09-01"]
    assert forecast["date"].iloc[-1] == "2023-10-01" and len(forecast) == 15  # rolled past 12
    assert np.isfinite(forecast["forecast"]).all() and (forecast["forecast"] > 0).all()


def test_default_lstm_beats_seasonal_naive_on_alcohol(sample_csv: Path, tmp_path: Path) -> None:
    """Default settings, real training: hold-out MASE must beat every baseline, and the network
    alone must too."""
    out = tmp_path / "run"
    result = invoke("train", sample_csv, "--out", out, "--runs-dir", tmp_path / "runs", "--json", "--quiet")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    model = summary["metrics"]["model"]["mase"]
    best = min(summary["metrics"][b]["mase"] for b in ("naive", "seasonal_naive", "drift"))
    assert model < best, summary["metrics"]["verdict"]
    assert "beats the best baseline" in summary["metrics"]["verdict"]
    assert summary["metrics"]["net"]["mase"] < best


@pytest.mark.parametrize("model", ["lstm", "gru", "rnn", "lstm-peephole"])
@pytest.mark.parametrize("strategy", ["many-to-many", "many-to-one"])
def test_each_model_and_strategy(seasonal_csv: Path, tmp_path: Path, model: str, strategy: str) -> None:
    out = tmp_path / "run"
    train(seasonal_csv, out, "--model", model, "--strategy", strategy, "--epochs", "2")
    result = invoke("predict", "--run", out, "--horizon", 5, "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["forecast"]
    assert len(rows) == 5 and all(np.isfinite(r["forecast"]) for r in rows)


@pytest.mark.parametrize("scaler", ["standard", "minmax", "none"])
def test_other_scalers(seasonal_csv: Path, tmp_path: Path, scaler: str) -> None:
    out = tmp_path / "run"
    train(seasonal_csv, out, "--scaler", scaler, "--epochs", "2", "--rnn-activation", "relu")
    assert json.loads((out / "series.json").read_text())["transform"]["scaler"] == scaler
    result = invoke("predict", "--run", out)
    assert result.exit_code == 0, result.output


def test_same_seed_byte_identical_forecasts(seasonal_csv: Path, tmp_path: Path) -> None:
    files = []
    for k in range(2):
        out = tmp_path / f"run{k}"
        train(seasonal_csv, out, "--seed", "5")
        target = tmp_path / f"f{k}.csv"
        result = invoke("predict", "--run", out, "--out", target, "-q")
        assert result.exit_code == 0, result.output
        files.append(target.read_bytes())
    assert files[0] == files[1]


def test_saved_model_reproduces_holdout_forecast(seasonal_csv: Path, tmp_path: Path) -> None:
    """save -> load -> predict gives the very numbers the trained model gave."""
    out = tmp_path / "run"
    train(seasonal_csv, out, "--no-refit", "--test-size", "12")
    truncated = tmp_path / "upto_cut.csv"
    frame = pd.read_csv(seasonal_csv)
    frame.iloc[:-12].to_csv(truncated, index=False)
    result = invoke(
        "predict", "--run", out, "--data", truncated, "--horizon", 12, "--out", tmp_path / "f.csv"
    )
    assert result.exit_code == 0, result.output
    holdout = pd.read_csv(out / "holdout.csv")
    again = pd.read_csv(tmp_path / "f.csv")
    assert holdout["date"].tolist() == again["date"].tolist()
    np.testing.assert_allclose(again["forecast"], holdout["forecast"], rtol=1e-9)


def test_predict_with_newer_data(seasonal_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    train(seasonal_csv, out)
    frame = pd.read_csv(seasonal_csv)
    newer = pd.concat([frame, pd.DataFrame({"date": ["2010-01-01", "2010-02-01"], "value": [330.0, 335.0]})])
    path = tmp_path / "newer.csv"
    newer.to_csv(path, index=False)
    result = invoke("predict", "--run", out, "--data", path, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["forecast"][0]["date"] == "2010-03-01"


def test_predict_data_ending_too_early(seasonal_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    train(seasonal_csv, out)
    short = tmp_path / "short.csv"
    pd.read_csv(seasonal_csv).iloc[:-5].to_csv(short, index=False)
    result = invoke("predict", "--run", out, "--data", short)
    assert result.exit_code == 3
    assert "before the model's training data ends" in result.stderr


def test_predict_data_with_other_columns(seasonal_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    train(seasonal_csv, out)
    other = tmp_path / "other.csv"
    pd.read_csv(seasonal_csv).rename(columns={"value": "sales"}).to_csv(other, index=False)
    result = invoke("predict", "--run", out, "--data", other)
    assert result.exit_code == 3 and "no column 'value'" in result.stderr


def test_json_summary_and_plain_stderr(seasonal_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = ["train", seasonal_csv, "--out", out, "--runs-dir", tmp_path / "runs", "--epochs", "12", "--json"]
    result = invoke(*args, "--hidden-size", 8)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)  # stdout is exactly one JSON object
    assert summary["ok"] and summary["run_dir"] == str(out) and "model.safetensors" in summary["files"]
    assert "epoch 10/12" in result.stderr  # plain progress lines when not a terminal
    assert not ANSI.search(result.output)


def test_quiet_prints_nothing(seasonal_csv: Path, tmp_path: Path) -> None:
    result = train(seasonal_csv, tmp_path / "run")
    assert result.output == ""


@pytest.mark.parametrize(
    "args,code,message",
    [
        (["train", "missing.csv"], 3, "missing.csv: no such file"),
        (["train", "{sample}", "--lookback", "0"], 2, "Invalid value for '--lookback'"),
        (["train", "{sample}", "--model", "transformer"], 2, "Invalid value for '--model'"),
        (["train", "{sample}", "--lookback", "400"], 3, "need at least lookback + horizon"),
        (["predict", "--run", "{tmp}/nowhere"], 4, "no such run directory"),
        (["train", "{sample}", "--thousands", ";;"], 2, "--thousands takes one character"),
    ],
)
def test_errors_have_exit_codes_and_one_line(sample_csv: Path, tmp_path: Path, args, code, message) -> None:
    args = [a.format(sample=sample_csv, tmp=tmp_path) for a in args]
    result = invoke(
        *args, "--runs-dir" if args[0] == "train" else "--quiet", *([tmp_path] if args[0] == "train" else [])
    )
    assert result.exit_code == code, result.output
    assert message in result.output
    if code != 2:
        assert "Traceback" not in result.output
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1


def test_predict_without_any_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("predict", "--json")
    assert result.exit_code == 4
    assert "train first" in result.stderr
    assert json.loads(result.stdout) == {"ok": False, "exit_code": 4, "error": result.stderr.strip()[7:]}


def test_module_entry_point_and_version() -> None:
    done = subprocess.run([sys.executable, "-m", "forecast", "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("forecast ")


HEAVY = ("torch", "pandas", "sklearn", "matplotlib", "pydantic")


def _modules_after(argv: list[str], cwd: Path | None = None) -> list[str]:
    """Run the CLI in a fresh interpreter and list the heavy modules it imported."""
    code = (
        "import sys\nfrom forecast.cli.app import main\n"
        f"sys.argv = ['forecast', *{argv!r}]\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert exc.code in (0, None), exc.code\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return eval(done.stderr.strip().splitlines()[-1])


def test_help_does_not_import_heavy_modules() -> None:
    code = f"import sys, forecast.cli.app; print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("command", ["train", "predict", "backtest", "validate", "plot", "info"])
def test_command_help_does_not_import_heavy_modules(command: str) -> None:
    assert _modules_after([command, "--help"]) == []


def test_predict_path_does_not_import_sklearn(seasonal_csv: Path, tmp_path: Path) -> None:
    train(seasonal_csv, tmp_path / "run", "--scaler", "standard")
    imported = _modules_after(["predict", "--run", str(tmp_path / "run"), "--out", str(tmp_path / "f.csv")])
    assert "torch" in imported and "sklearn" not in imported and "matplotlib" not in imported


def test_short_series_names_minimum(tmp_path: Path) -> None:
    path = write_series(tmp_path / "short.csv", np.arange(1.0, 31.0))
    result = invoke("train", path, "--runs-dir", tmp_path, "--candidates", "model")
    assert result.exit_code == 3
    assert "30 rows; need at least lookback + horizon + test-size = 24 + 12 + 12 = 48" in result.stderr
    path = write_series(tmp_path / "shorter.csv", np.arange(1.0, 16.0))  # too short for Theta and ETS too
    result = invoke("train", path, "--runs-dir", tmp_path)
    assert result.exit_code == 3
    assert (
        "15 rows; need at least lookback + horizon + test-size = 24 + 12 + 12 = 48 for the network, 17"
        in result.stderr
    )


def test_info_shows_the_model_card(seasonal_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    train(seasonal_csv, out, "--model", "gru", "--seed", "7")
    result = invoke("info", out)
    assert result.exit_code == 0, result.output
    for text in ("sha256", "frequency MS", "kind=gru", "seed=7", "lookback=24", "hold-out", "torch"):
        assert text in result.stdout, text
    card = json.loads(invoke("info", out, "--json").stdout)
    assert card["settings"]["model"]["kind"] == "gru" and card["data"]["series"] == 1
    assert "model" in card["holdout"] and card["versions"]["forecast"]
    assert invoke("info", tmp_path / "missing").exit_code == 4


def test_config_file_sets_options_and_flags_win(seasonal_csv: Path, tmp_path: Path) -> None:
    config = tmp_path / "forecast.toml"
    config.write_text(
        '[train]\nmodel = "gru"\nhidden-size = 8\nepochs = 3\nlevel = [90]\nrefit = false\nseed = 5\n'
        "[predict]\nhorizon = 5\n"
    )
    out = tmp_path / "run"
    runs = tmp_path / "runs"
    result = invoke(
        "train", seasonal_csv, "--config", config, "--epochs", 2, "--out", out, "--runs-dir", runs, "-q"
    )
    assert result.exit_code == 0, result.output
    settings = json.loads((out / "config.json").read_text())["settings"]
    assert settings["model"]["kind"] == "gru" and settings["model"]["hidden_size"] == 8
    assert settings["train"]["epochs"] == 2 and settings["train"]["refit"] is False  # the flag won
    assert "lo-90" in (out / "holdout.csv").read_text().splitlines()[0]
    result = invoke("predict", "--run", out, "--config", config, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["steps"] == 5
    result = invoke("predict", "--run", out, "--config", config, "--horizon", 2, "--json")
    assert json.loads(result.stdout)["steps"] == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[train]\nmodle = "gru"\n', "[train] has no option 'modle'; options are ["),
        ("[train]\nepochs = 0\n", "[train] epochs = 0: 0 is not in the range x>=1"),
        ("[train]\nepochs = 2.7\n", "[train] epochs = 2.7: not a whole number"),  # not cut to 2
        ("[train]\nlevel = [80, 90.5]\n", "[train] level = [80, 90.5]: not a whole number"),
        ('[train]\nmodel = "transformer"\n', "[train] model = 'transformer': 'transformer' is not one of"),
        ("[train\n", "not valid TOML"),
        ("[forecast]\nepochs = 3\n", "unknown section(s) ['forecast']"),
        ("[train]\nno-calendar = true\n", "[train] has no option 'no-calendar'"),  # say calendar = false
    ],
)
def test_bad_config_file_is_a_usage_error(
    seasonal_csv: Path, tmp_path: Path, text: str, message: str
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(text)
    result = invoke("train", seasonal_csv, "--config", config, "--out", tmp_path / "run")
    assert result.exit_code == 2 and message in result.stderr, result.stderr
    assert not (tmp_path / "run").exists()
    missing = invoke("train", seasonal_csv, "--config", tmp_path / "nope.toml")
    assert missing.exit_code == 2 and "no such config file" in missing.stderr


@pytest.mark.parametrize(
    ("words", "cword", "expected"),
    [("forecast tr", 1, ["train"]), ("forecast train --model ", 3, ["lstm", "gru", "rnn", "lstm-peephole"])],
)
def test_shell_completion(words: str, cword: int, expected: list[str]) -> None:
    env = {**os.environ, "_FORECAST_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(cword)}
    script = Path(sys.executable).parent / "forecast"  # the console script names the variable
    done = subprocess.run([str(script)], env=env, capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.split() == expected, done


def test_calendar_inputs_train_and_predict(seasonal_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    train(seasonal_csv, out, "--calendar")
    settings = json.loads((out / "config.json").read_text())["settings"]
    assert settings["window"]["calendar"] is True and settings["model"]["input_size"] == 3
    assert settings["window"]["calendar_phase"] == 0  # the fixture starts in January
    result = invoke("predict", "--run", out, "--horizon", 30, "--json")  # rolls past the trained horizon
    assert result.exit_code == 0, result.output
    values = [row["forecast"] for row in json.loads(result.stdout)["forecast"]]
    assert len(values) == 30 and all(math.isfinite(v) for v in values)
    plain = tmp_path / "plain"
    train(seasonal_csv, plain)  # off by default
    settings = json.loads((plain / "config.json").read_text())["settings"]
    assert settings["window"]["calendar"] is False and settings["model"]["input_size"] == 1


def test_config_help_shows_the_section_names() -> None:
    for command in ("train", "predict", "backtest", "validate"):
        result = invoke(command, "--help")
        text = " ".join(re.sub(r"[│╭╮╰╯─]", " ", result.output).split())
        assert "under [train], [predict], [backtest] or [validate];" in text, text
        assert "\\[" not in text


def test_config_json_applies_to_errors_too(tmp_path: Path) -> None:
    config = tmp_path / "j.toml"
    config.write_text("[predict]\njson = true\n")
    result = invoke("predict", "--run", tmp_path / "nope", "--config", config)
    assert result.exit_code == 4
    assert json.loads(result.stdout)["exit_code"] == 4


def test_long_file_without_id_col_suggests_it(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    rows = [
        f"{s},{d},{v}"
        for s in ("a", "b")
        for d, v in zip(pd.date_range("2020-01-01", periods=30, freq="MS").strftime("%Y-%m-%d"), range(30))
    ]
    path.write_text("store,date,sales\n" + "\n".join(rows) + "\n")
    result = invoke("train", path, *FAST)
    assert result.exit_code == 3
    assert "duplicate date 2020-01-01" in result.output and "--id-col" in result.output


def test_validate_table_agrees_with_the_error_for_one_short_series(tmp_path: Path) -> None:
    path = write_series(tmp_path / "short.csv", np.arange(1.0, 41.0))
    result = invoke("validate", path, "--json")  # too short for the network, not for the safety net
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["need_rows"] == 17 and report["series"][0]["too_short"] is False
    assert report["series"][0]["network"] is False
    path = write_series(tmp_path / "shorter.csv", np.arange(1.0, 16.0))
    result = invoke("validate", path, "--json")
    assert result.exit_code == 3
    report = json.loads(result.stdout)
    assert report["need_rows"] == 17 and report["series"][0]["too_short"] is True
    result = invoke("validate", path, "--json", "--lookback", 24)  # an explicit lookback: the network's need
    assert result.exit_code == 3 and json.loads(result.stdout)["need_rows"] == 48


def test_validate_need_for_a_panel_too_short_for_its_holdout(tmp_path: Path) -> None:
    path = tmp_path / "panel.csv"
    dates = pd.date_range("2020-01-01", periods=25, freq="MS").strftime("%Y-%m-%d")
    pd.DataFrame({"store": "a", "date": dates, "sales": np.arange(25.0) + 1}).to_csv(path, index=False)
    result = invoke("validate", path, "--id-col", "store", "--lookback", 14, "--horizon", 7, "--json")
    assert result.exit_code == 3
    report = json.loads(result.stdout)
    assert report["need_rows"] == 28 and "= 28" in report["error"]  # 14 + 7 + the hold-out of 7
    assert report["series"][0]["too_short"] is True  # 25 rows: long enough to fit (21), not to hold out
