"""The house rules a newcomer relies on: small modules and functions, one place per rule,
``ds`` always a Dataset, and a README that names every module."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import ROOT
from torch import nn

PACKAGE = ROOT / "forecast"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
# Typer commands: the signature is the option list
EXEMPT_FUNCTIONS = {"cli/app.py:train_cmd", "cli/app.py:backtest_cmd"}


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _name(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def test_no_module_over_400_lines() -> None:
    long = {
        _name(p): n
        for p in _modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not long, long


def test_no_function_over_60_lines() -> None:
    long = {}
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                key = f"{_name(path)}:{node.name}"
                size = node.end_lineno - node.lineno + 1
                if size > MAX_FUNCTION_LINES and key not in EXEMPT_FUNCTIONS:
                    long[key] = size
    assert not long, long


def test_every_module_says_what_it_holds_and_the_readme_names_it() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    development = readme[readme.index("## Development") :]
    for path in _modules():
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        assert doc and len(doc) > 40, f"{_name(path)} has no docstring saying what it holds"
        if path.name != "__init__.py" and path.parent != PACKAGE:
            assert f"`{path.name}`" in development, f"README's Development section misses {_name(path)}"


def test_ds_is_always_a_dataset() -> None:
    """A parameter named ``ds`` is a Dataset; dates are ``dates`` (grid.regularise used ``ds``)."""
    wrong = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for arg in node.args.args + node.args.kwonlyargs:
                    if arg.arg == "ds" and "Dataset" not in ast.unparse(arg.annotation or ast.Constant("")):
                        wrong.append(f"{_name(path)}:{node.name}")
    assert not wrong, wrong
    grid = (PACKAGE / "data" / "grid.py").read_text(encoding="utf-8")
    assert not re.search(r"\bds\b\s*=|\bds\[", grid)


def test_one_date_format_rule() -> None:
    from forecast.data import dates, output
    from forecast.scoring import evaluation

    assert evaluation.date_text is dates.date_text  # the hold-out frame writes dates by the rule
    for text, alone in [
        ("2024-01-31", True),
        ("2024-01-31 00:00", True),
        ("2024-01-31 13:00", False),
        ("2024-01-31 00:00:00.5", False),
    ]:
        stamp = pd.Timestamp(text)
        one = pd.DatetimeIndex([stamp])
        assert dates.fmt_date(stamp) == (str(stamp.date()) if alone else str(stamp))
        assert dates.date_format(one) == (dates.DATE if alone else dates.DATE_TIME)
    column = pd.DatetimeIndex(["2024-01-01", "2024-01-01 06:00"])
    assert list(dates.date_text(column)) == ["2024-01-01 00:00:00", "2024-01-01 06:00:00"]
    assert list(dates.date_text(column[:1])) == ["2024-01-01"]
    frame = pd.DataFrame({"date": column})
    for part, expected in [
        (frame, "2024-01-01 00:00:00\n2024-01-01 06:00:00\n"),
        (frame[:1], "2024-01-01\n"),
    ]:
        assert output._csv_bytes(part).decode().replace('"', "") == expected


@pytest.mark.parametrize(
    "horizon,out_len,steps", [(1, 1, 1), (7, 1, 7), (12, 12, 12), (13, 12, 24), (5, 3, 6)]
)
def test_rolled_steps_is_the_one_rounding_rule(horizon: int, out_len: int, steps: int) -> None:
    from forecast.model import covariates
    from forecast.model.rollforward import roll_forward

    assert covariates.rolled_steps(horizon, out_len) == steps
    assert covariates.roll_extra(horizon, out_len) == steps - out_len

    class Counting(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.weight = nn.Parameter(torch.zeros(1))
            self.passes = 0

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            self.passes += 1
            return torch.zeros(len(x), out_len) + self.weight

    model = Counting()
    out = roll_forward(model, np.zeros((2, 4)), 0, horizon)
    assert out.shape == (2, horizon)
    assert model.passes * out_len == steps  # the roll-forward produced exactly rolled_steps


def test_predict_asks_the_future_file_for_the_rolled_steps(tmp_path: Path) -> None:
    from forecast.core.config import DataConfig
    from forecast.core.errors import DataError
    from forecast.data import dataset
    from forecast.workflows.predict_inputs import future_rows

    dates = pd.date_range("2020-01-01", periods=30, freq="D")
    path = tmp_path / "y.csv"
    pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "y": np.arange(30.0)}).to_csv(path, index=False)
    ds = dataset.read(DataConfig(path=str(path)))
    ahead = pd.date_range(dates[-1] + pd.Timedelta(days=1), periods=6, freq="D")
    future = pd.DataFrame({"unique_id": None, "ds": ahead, "_line": np.arange(2, 8), "promo": 1.0})
    last = ds.positions[-1:]
    assert future_rows(future, ["y"], last, 5, 3, ds, "f.csv").shape == (1, 6, 1)  # 5 rounded up to 6
    with pytest.raises(DataError, match=r"for 2 of the 8 dates the model reads \(7 to forecast"):
        future_rows(future, ["y"], last, 7, 4, ds, "f.csv")
