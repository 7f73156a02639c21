"""The layer rule: import-linter's contracts in pyproject.toml hold, cover every part, and bite."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("importlinter") is None,
    reason="import-linter is not installed (pip install -e '.[dev]' brings it)",
)


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """Run lint-imports on the package and pyproject.toml under ``root``."""
    code = (
        "import sys; from importlinter.cli import lint_imports_command; "
        "sys.exit(lint_imports_command(['--no-cache', '--no-logo']))"  # no cache written into the repo
    )
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, timeout=300
    )


def _layers() -> list[str]:
    tomllib = pytest.importorskip("tomllib")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (layers,) = [c["layers"] for c in config["contracts"] if c["type"] == "layers"]
    return [name.strip() for layer in layers for name in layer.split("|")]


def test_import_contracts_are_kept() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout, result.stdout


def test_every_part_of_the_package_is_a_layer() -> None:
    parts = {f"forecast.{p.parent.name}" for p in (ROOT / "forecast").glob("*/__init__.py")}
    assert parts and parts == set(_layers())
    loose = sorted(p.name for p in (ROOT / "forecast").glob("*.py"))
    assert loose == ["__init__.py", "__main__.py"]  # every module lives in a part


def test_an_upward_import_breaks_the_contract(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "forecast", tmp_path / "forecast", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    loop = tmp_path / "forecast" / "model" / "loop.py"
    loop.write_text(loop.read_text() + "\n\ndef _upward():\n    from forecast.cli import app  # noqa\n")
    result = _lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "forecast.model.loop -> forecast.cli.app" in result.stdout, result.stdout
