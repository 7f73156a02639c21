"""Pictures: valid PNGs of sensible size from train, plot and backtest."""

from __future__ import annotations

from pathlib import Path

from conftest import FAST, invoke

PNG = b"\x89PNG\r\n\x1a\n"


def _is_png(path: Path) -> None:
    data = path.read_bytes()
    assert data.startswith(PNG) and 20_000 < len(data) < 2_000_000, len(data)
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert 600 <= width <= 3000 and 300 <= height <= 3000


def test_train_draws_forecast_png_and_plot_command(seasonal_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = invoke("train", seasonal_csv, "--out", out, "--runs-dir", tmp_path, *FAST)
    assert result.exit_code == 0, result.output
    _is_png(out / "forecast.png")
    result = invoke("predict", "--run", out, "-q")
    assert result.exit_code == 0, result.output
    target = tmp_path / "pic.png"
    result = invoke("plot", "--run", out, "--out", target)
    assert result.exit_code == 0, result.output
    _is_png(target)
    assert invoke("plot", "--run", out, "--series", "nope").exit_code == 3


def test_no_plot_and_backtest_png(seasonal_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = invoke("train", seasonal_csv, "--out", out, "--runs-dir", tmp_path, "--no-plot", *FAST)
    assert result.exit_code == 0, result.output
    assert not (out / "forecast.png").exists()
    bt = tmp_path / "bt"
    result = invoke("backtest", seasonal_csv, "--folds", 2, "--out", bt, *FAST)
    assert result.exit_code == 0, result.output
    _is_png(bt / "backtest.png")


def test_plot_is_lazy() -> None:
    import subprocess
    import sys

    code = "import sys, forecast.workflows.train, forecast.workflows.inspect, forecast.cli.app; print('matplotlib' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
