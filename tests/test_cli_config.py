"""``--config`` files through click's default_map, and each config section built from its option
group: the command line wins, errors name the file, section and key, first in file order."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from conftest import invoke

from forecast.cli.app import app


def _toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "forecast.toml"
    path.write_text(text)
    return path


def test_config_file_values_are_click_defaults(sample_csv: Path, tmp_path: Path) -> None:
    conf = _toml(tmp_path, '[validate]\nhorizon = 6\nfuture_covariate = "promo"\ndayfirst = false\n')
    command = typer.main.get_command(app).commands["validate"]  # type: ignore[attr-defined]
    ctx = command.make_context("validate", [str(sample_csv), "--config", str(conf), "--horizon", "3"])
    assert ctx.default_map == {"horizon": 6, "future_covariate": ["promo"], "dayfirst": False}
    assert ctx.get_parameter_source("horizon").name == "COMMANDLINE" and ctx.params["horizon"] == 3
    assert ctx.get_parameter_source("dayfirst").name == "DEFAULT_MAP" and ctx.params["dayfirst"] is False
    assert ctx.params["future_covariate"] == ("promo",)  # click's conversion: multiple is a tuple


def test_a_bad_value_in_the_file_is_moot_when_the_flag_is_given(sample_csv: Path, tmp_path: Path) -> None:
    conf = _toml(tmp_path, "[validate]\nhorizon = 0\n")
    assert invoke("validate", sample_csv, "--config", conf, "--horizon", 6).exit_code == 0
    result = invoke("validate", sample_csv, "--config", conf)
    assert result.exit_code == 2 and "[validate] horizon = 0: 0 is not in the range" in result.stderr


def test_the_first_problem_in_file_order_is_reported(sample_csv: Path, tmp_path: Path) -> None:
    conf = _toml(tmp_path, "[validate]\nhorizon = 0\nmodle = 1\n")
    result = invoke("validate", sample_csv, "--config", conf)
    assert result.exit_code == 2 and "horizon = 0" in result.stderr and "modle" not in result.stderr
    result = invoke("validate", sample_csv, "--config", conf, "--horizon", 6)
    assert result.exit_code == 2 and "[validate] has no option 'modle'" in result.stderr


def test_a_bad_file_does_not_switch_on_its_own_json(sample_csv: Path, tmp_path: Path) -> None:
    conf = _toml(tmp_path, "[validate]\njson = true\nhorizon = 0\n")
    result = invoke("validate", sample_csv, "--config", conf)
    assert result.exit_code == 2 and result.stdout == "", result.stdout
    result = invoke("validate", sample_csv, "--config", conf, "--json")
    assert json.loads(result.stdout)["exit_code"] == 2


def test_help_ignores_the_config_file(tmp_path: Path) -> None:
    conf = _toml(tmp_path, "[validate]\nhorizon = 0\n[nope]\n")
    for args in (("--config", conf, "--help"), ("--help", "--config", conf)):
        result = invoke("validate", *args)
        assert result.exit_code == 0 and "Usage" in result.stdout and "default: 0" not in result.stdout


def test_no_locals_hand_offs_in_the_command_line() -> None:
    root = Path(__file__).resolve().parent.parent / "forecast" / "cli"
    for path in root.glob("*.py"):
        text = path.read_text()
        assert "locals()" not in text and "build_config" not in text, path
