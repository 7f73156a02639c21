"""Run directories are untrusted input: crafted runs, re-signed as an attacker would, exit 4
naming the file and field (never 1, never an unbounded allocation); plot and info edges."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import FAST, invoke, write_series
from safetensors.torch import load_file, save_file

from forecast.core.choices import ModelKind
from forecast.core.config import ModelConfig
from forecast.core.errors import RunError
from forecast.model.networks import build_model, state_shapes
from forecast.runs import check
from forecast.runs.files import sha256_file


@pytest.fixture(scope="module")
def trusted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One tiny run, trained once for the module; every case edits a copy of it."""
    root = tmp_path_factory.mktemp("trusted")
    t = np.arange(72)
    data = write_series(root / "s.csv", 100 + 10 * np.sin(2 * np.pi * t / 12) + t)
    out = root / "run"
    result = invoke("train", data, "--out", out, "--runs-dir", root / "runs", *FAST, "--no-plot")
    assert result.exit_code == 0, result.output
    return out


Edit = Callable[[Any], None]


def craft(
    src: Path,
    dest: Path,
    config: Edit | None = None,
    series: Edit | None = None,
    weights: Edit | None = None,
    files: dict[str, bytes] | None = None,
) -> Path:
    """Copy run ``src`` to ``dest``, edit its files and re-sign series.json and the weights in
    config.json, the root of trust, as whoever edits a run can."""
    shutil.copytree(src, dest)
    if series is not None:
        doc = json.loads((dest / "series.json").read_text())
        series(doc)
        (dest / "series.json").write_text(json.dumps(doc))
    if weights is not None:
        state = load_file(dest / "model.safetensors")
        weights(state)
        save_file(state, dest / "model.safetensors")
    meta = json.loads((dest / "config.json").read_text())
    for name, content in (files or {}).items():
        (dest / name).write_bytes(content)
    meta["series_sha256"] = sha256_file(dest / "series.json")
    meta["weights"]["sha256"] = sha256_file(dest / "model.safetensors")
    if config is not None:
        config(meta)
    if "config.json" not in (files or {}):
        (dest / "config.json").write_text(json.dumps(meta))
    return dest


def _set(section: str, **values: Any) -> Edit:
    def edit(meta: Any) -> None:
        meta["settings"][section].update(values)

    return edit


def _data(**values: Any) -> Edit:
    return lambda meta: meta["data"].update(values)


def _transform(field: str, value: Any) -> Edit:
    def edit(doc: Any) -> None:
        doc["transform"][field] = [value]

    return edit


def _tensor(name: str, value: torch.Tensor) -> Edit:
    def edit(state: dict[str, torch.Tensor]) -> None:
        state[name] = value

    return edit


def _poke(name: str, value: float) -> Edit:
    """Set the first element of tensor ``name``."""

    def edit(state: dict[str, torch.Tensor]) -> None:
        state[name].view(-1)[0] = value

    return edit


def _nested(depth: int = 100_000) -> bytes:
    return ("[" * depth + "]" * depth).encode()


CASES: list[tuple[str, dict[str, Any], str]] = [
    # item 15: values that size tensors and loops, checked against each other first
    (
        "input-negative",
        {"config": _set("model", input_size=-1)},
        r"config.json: settings.model.input_size is -1",
    ),
    ("input-zero", {"config": _set("model", input_size=0)}, r"settings.model.input_size is 0"),
    (
        "input-1e12",
        {"config": _set("model", input_size=10**12)},
        r"settings.model.input_size is 1000000000000",
    ),
    ("output-1e9", {"config": _set("model", output_size=10**9)}, r"settings.model.output_size is 1000000000"),
    ("output-negative", {"config": _set("model", output_size=-3)}, r"settings.model.output_size is -3"),
    ("ahead-negative", {"config": _set("model", ahead_inputs=-1)}, r"settings.model.ahead_inputs is -1"),
    ("ahead-extra", {"config": _set("model", ahead_inputs=5)}, r"settings.model.ahead_inputs is 5"),
    ("horizon-1e9", {"config": _set("window", horizon=10**9)}, r"settings.window.horizon is 1000000000"),
    ("season-1e12", {"config": _set("window", season=10**12)}, r"settings.window.season is 1000000000000"),
    ("lookback-past-data", {"config": _set("window", lookback=500)}, r"lookback 500 \+ output 12 .* 72 rows"),
    ("freq-bad", {"config": _set("data", freq="every tuesday")}, r"--freq 'every tuesday'"),
    ("rows-text", {"config": _data(rows="many")}, r"data.rows is 'many'"),
    (
        "calendar-width",
        {"config": _set("window", calendar=True, calendar_phase=3)},
        r"input_size is 1; .*2 calendar.* give 3",
    ),
    (
        "calendar-phase",
        {
            "config": lambda m: (
                _set("window", calendar=True, calendar_phase=99)(m),
                _set("model", input_size=3)(m),
            )
        },
        r"calendar_phase is 99",
    ),
    (
        "series-season-1e12",
        {"series": _transform("season", 10**12)},
        r"series.json: transform.season\[0\] is 10",
    ),
    ("series-level-len", {"series": _transform("level_len", 10**6)}, r"transform.level_len\[0\] is 1000000"),
    ("series-ids-unhashable", {"series": lambda d: d.update(ids=[["a"]])}, r"ids must be text"),
    ("series-methods-unhashable", {"series": lambda d: d.update(method=[{"a": 1}])}, r"methods one of model"),
    (
        "series-ids-twice",
        {
            "series": lambda d: d.update(
                ids=["a", "a"],
                method=["model"] * 2,
                network=[True] * 2,
                transform={k: v * 2 if isinstance(v, list) else v for k, v in d["transform"].items()},
            )
        },
        r"holds 2 series; config.json's data.series says 1",
    ),  # fmt: skip
    (
        "calibration-index-2e9",
        {"weights": _poke("calibration.series", 2_000_000_000)},
        r"calibration.series holds series index 2000000000; the run has 1 series",
    ),
    (
        "calibration-index-negative",
        {"weights": _poke("calibration.series", -1)},
        r"calibration.series holds series index -1",
    ),
    (
        "calibration-inf",
        {"weights": _poke("calibration.errors", float("inf"))},
        r"calibration.errors holds infinite values",
    ),
    (
        "calibration-width",
        {
            "weights": lambda st: st.update(
                {"calibration.errors": torch.zeros(len(st["calibration.series"]), 10**5)}
            )
        },
        r"calibration.errors is F32 \[13, 100000\]; expected .*horizon = 12",
    ),
    # the weights' header against the network config.json describes, before anything is built
    # (the trusted run has FAST's 8 hidden units: 4 gates x 8 = 32 rows)
    (
        "big-network",
        {"config": _set("model", hidden_size=4096, layers=8)},
        r"tensor '0.rnn.weight_ih_l0' has shape \[32, 1\]; the lstm network of config.json "
        r"\(hidden_size 4096, layers 8\) needs \[16384, 1\]",
    ),
    ("ensemble-2", {"config": _set("train", ensemble=2)}, r"lacks tensor '1.rnn.weight_ih_l0'"),
    (
        "dtype-bool",
        {"weights": _tensor("0.head.bias", torch.zeros(12, dtype=torch.bool))},
        r"'0.head.bias' is BOOL",
    ),
    (
        "dtype-uint8",
        {"weights": _tensor("0.head.bias", torch.zeros(12, dtype=torch.uint8))},
        r"'0.head.bias' is U8",
    ),
    (
        "dtype-complex",
        {"weights": _tensor("0.head.bias", torch.zeros(12, dtype=torch.complex64))},
        r"'0.head.bias' is C64",
    ),
    ("extra-tensor", {"weights": _tensor("0.evil", torch.zeros(1))}, r"unexpected tensor '0.evil'"),
    # item 16: JSON that is deeply nested, has huge integers or non-JSON constants
    ("config-nested", {"files": {"config.json": _nested()}}, r"config.json: JSON nested too deeply"),
    (
        "config-5000-digits",
        {"files": {"config.json": b'{"schema_version": ' + b"9" * 5000 + b"}"}},
        r"config.json: unreadable or not JSON \(integer with 5000 digits\)",
    ),
    ("config-nan", {"files": {"config.json": b'{"schema_version": NaN}'}}, r"config.json: .*NaN is not JSON"),
    (
        "config-1e400",
        {"files": {"config.json": b'{"schema_version": 1e400}'}},
        r"config.json: .*out of range",
    ),
    (
        "config-binary",
        {"files": {"config.json": b"\xff\xfe\x00junk"}},
        r"config.json: unreadable or not JSON",
    ),
    ("series-nested", {"files": {"series.json": _nested()}}, r"series.json: JSON nested too deeply"),
    (
        "series-big-int",
        {"files": {"series.json": b'{"ids": [' + b"7" * 4000 + b"]}"}},
        r"series.json: .*integer with 4000 digits",
    ),
]


@pytest.mark.parametrize("edits,message", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_crafted_run_exits_4_naming_the_field(
    trusted: Path, tmp_path: Path, edits: dict, message: str
) -> None:
    run = craft(trusted, tmp_path / "run", **edits)
    result = invoke("predict", "--run", run, "--out", tmp_path / "f.csv")
    assert result.exit_code == 4, result.output
    assert "internal error" not in result.stderr
    assert re.search(message, result.stderr), result.stderr
    assert not (tmp_path / "f.csv").exists()


def test_untouched_copy_still_predicts(trusted: Path, tmp_path: Path) -> None:
    run = craft(trusted, tmp_path / "run")
    result = invoke("predict", "--run", run, "-q")
    assert result.exit_code == 0, result.output


def test_huge_config_is_refused_unread(trusted: Path, tmp_path: Path) -> None:
    run = craft(trusted, tmp_path / "run")
    with open(run / "config.json", "r+b") as fh:
        fh.truncate(200 << 20)  # 200 MB (sparse): refused from its size, never read
    for command in (["predict", "--run", run], ["info", run], ["plot", "--run", run]):
        result = invoke(*command)
        assert result.exit_code == 4, result.output
        assert "209,715,200 bytes, more than the 4,194,304" in result.stderr


def test_fifo_config_does_not_block(trusted: Path, tmp_path: Path) -> None:
    run = craft(trusted, tmp_path / "run")
    (run / "config.json").unlink()
    os.mkfifo(run / "config.json")
    with pytest.raises(RunError, match="config.json: is not a regular file"):
        check.read_json(run / "config.json", check.MAX_CONFIG_BYTES)


def test_run_season_out_of_range_is_a_run_error_not_data(trusted: Path, tmp_path: Path) -> None:
    """A lookback the data cannot hold, inside a run, is an altered run (4), not bad data (3)."""
    run = craft(trusted, tmp_path / "run", config=_set("window", lookback=70))
    result = invoke("predict", "--run", run)
    assert result.exit_code == 4 and "data.rows" in result.stderr, result.output


def test_infinite_interval_bounds_are_refused(trusted: Path, tmp_path: Path) -> None:
    """Calibration errors that are finite but huge give infinite bounds in raw scale: exit 4,
    nothing written (before: inf in forecast.csv with exit 0)."""
    weights = _tensor("calibration.errors", torch.full((20, 12), 1e30))

    def rows(state: dict[str, torch.Tensor]) -> None:
        weights(state)
        state["calibration.series"] = torch.zeros(20, dtype=torch.int64)

    run = craft(trusted, tmp_path / "run", weights=rows)
    result = invoke("predict", "--run", run, "--out", tmp_path / "f.csv", "--method", "model")
    assert result.exit_code == 4, result.output
    assert "infinite interval bounds" in result.stderr
    assert not (tmp_path / "f.csv").exists()


@pytest.mark.parametrize("kind", list(ModelKind))
def test_state_shapes_equal_the_built_network(kind: ModelKind) -> None:
    cfg = ModelConfig(kind=kind, layers=2, hidden_size=5, input_size=4, output_size=3, ahead_inputs=1)
    built = {name: tuple(t.shape) for name, t in build_model(cfg).state_dict().items()}
    assert state_shapes(cfg) == built


def test_state_shapes_allocate_nothing() -> None:
    shapes = state_shapes(ModelConfig(hidden_size=4096, layers=8, input_size=10**6, output_size=10**6))
    assert shapes["rnn.weight_ih_l0"] == (16384, 10**6)  # 65 GB if it were allocated


# item 17: info shows what it can and names the malformed field
@pytest.mark.parametrize(
    "edits,message",
    [
        ({"files": {"metrics.json": b'{"verdict": "ok", "test_size": 12, "model": [1, 2]}'}}, r"metrics.json: model is \[1, 2\]; expected an object"),
        ({"files": {"metrics.json": b"[1, 2]"}}, r"metrics.json: not a JSON object"),
        ({"files": {"metrics.json": b'{"verdict": "ok", "model": {"mae": "low"}}'}}, r"metrics.json: model.mae is 'low'; expected a number or null"),
        ({"files": {"metrics.json": _nested()}}, r"metrics.json: JSON nested too deeply"),
        ({"config": lambda m: m["data"].pop("rows")}, r"config.json: data.rows is missing"),
        ({"config": lambda m: m["training"].pop("seconds")}, r"config.json: training.seconds is missing"),
        ({"config": lambda m: m["training"].update(seconds="fast")}, r"training.seconds is 'fast'; expected a number"),
        ({"config": lambda m: m["training"].update(processes=[2])}, r"training.processes is \[2\]; expected a whole number"),
        ({"config": lambda m: m["data"].update(sha256=42)}, r"data.sha256 is 42; expected text"),
        ({"config": lambda m: m["settings"].update(window=[1])}, r"section 'window' is missing or not an object"),
        ({"config": lambda m: m.update(versions=["x"])}, r"versions is not an object"),
    ],
)  # fmt: skip
def test_info_names_the_malformed_field(trusted: Path, tmp_path: Path, edits: dict, message: str) -> None:
    run = craft(trusted, tmp_path / "run", **edits)
    result = invoke("info", run)
    assert result.exit_code == 4, result.output
    assert re.search(message, result.stderr), result.stderr
    assert f"run        {run}" in result.stdout  # the card shows what it could read


def test_info_card_of_a_good_run(trusted: Path) -> None:
    result = invoke("info", trusted)
    assert result.exit_code == 0, result.output
    assert "?" not in result.stdout.split("versions")[0].replace("(created", "")


# item 18: plot on a run whose holdout.csv is not what a run writes
@pytest.mark.parametrize(
    "content,message",
    [
        (bytes(range(256)) * 40, r"holdout.csv: "),
        (b"", r"holdout.csv: not the CSV a run writes"),
        (b"when,actual,forecast\n2004-01-01,1,2\n", r"holdout.csv: lacks column\(s\) \['date'\]"),
        (b"date,actual,forecast\nsoon,1,2\n", r"holdout.csv: holds a bad date or number"),
        (b"date,actual,forecast\n2004-01-01,1,lots\n", r"holdout.csv: holds a bad date or number"),
        (b"date,actual,forecast\n", r"holdout.csv: has no rows"),
    ],
)
def test_plot_refuses_a_bad_holdout(trusted: Path, tmp_path: Path, content: bytes, message: str) -> None:
    run = craft(trusted, tmp_path / "run", files={"holdout.csv": content})
    result = invoke("plot", "--run", run, "--out", tmp_path / "p.png")
    assert result.exit_code == 4, result.output
    assert re.search(message, result.stderr), result.stderr
    assert not (tmp_path / "p.png").exists()


# item 14
def test_info_on_a_data_file_points_to_validate(trusted: Path) -> None:
    data = trusted.parent / "s.csv"
    result = invoke("info", data)
    assert result.exit_code == 4
    assert "is a file, not a run directory" in result.stderr and f"forecast validate {data}" in result.stderr


def test_predict_without_a_run_fails_before_importing_torch(tmp_path: Path) -> None:
    code = (
        "import sys\nfrom forecast.cli.app import app\n"
        f"code = app(['predict', '--run', {str(tmp_path / 'missing')!r}], standalone_mode=False)\n"
        "print(code, 'torch' in sys.modules)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.stdout.split() == ["4", "False"], done.stdout + done.stderr
    assert "no such run directory" in done.stderr


# item 13
@pytest.mark.parametrize(
    "suffix,magic",
    [
        (".pdf", b"%PDF"),
        (".svg", b"<?xml"),
        (".jpg", b"\xff\xd8\xff"),
        (".png", b"\x89PNG"),
        (".PDF", b"%PDF"),
    ],
)
def test_plot_writes_the_format_its_suffix_names(
    trusted: Path, tmp_path: Path, suffix: str, magic: bytes
) -> None:
    target = tmp_path / f"x{suffix}"
    result = invoke("plot", "--run", trusted, "--out", target)
    assert result.exit_code == 0, result.output
    assert target.read_bytes().startswith(magic)
    assert [p.name for p in tmp_path.iterdir()] == [target.name]  # no temporary left


def test_plot_refuses_an_unknown_suffix(trusted: Path, tmp_path: Path) -> None:
    result = invoke("plot", "--run", trusted, "--out", tmp_path / "x.gif")
    assert result.exit_code == 2
    assert "cannot write a picture as '.gif'" in result.stderr and ".pdf" in result.stderr
    assert not list(tmp_path.iterdir())


def test_panel_plot_says_how_many_series_it_drew_and_which_glyphs_lack_a_font(tmp_path: Path) -> None:
    dates = pd.date_range("2010-01-01", periods=60, freq="MS").strftime("%Y-%m-%d")
    t = np.arange(60)
    frame = pd.concat(
        pd.DataFrame({"store": f"店{k:02d}", "date": dates, "sales": 100 + k + 10 * np.sin(t / 2)})
        for k in range(14)
    )
    data = tmp_path / "panel.csv"
    frame.to_csv(data, index=False)
    out = tmp_path / "run"
    result = invoke(
        "train", data, "--id-col", "store", "--out", out, "--runs-dir", tmp_path / "runs", *FAST, "--no-plot"
    )
    assert result.exit_code == 0, result.output
    result = invoke("plot", "--run", out, "--out", tmp_path / "p.png", "--json")
    assert result.exit_code == 0, result.output
    warnings = json.loads(result.stdout)["warnings"]
    assert "drew 12 of 14 series; pick them with --series" in warnings
    if not any("Noto Sans CJK" in f for f in _installed_fonts()):
        assert any("no installed font has 店" in w for w in warnings), warnings
    result = invoke("plot", "--run", out, "--out", tmp_path / "q.png", "--series", "店01", "--series", "店02")
    assert result.exit_code == 0, result.output
    assert "drew 12" not in result.stderr


def _installed_fonts() -> set[str]:
    from matplotlib import font_manager

    return {f.name for f in font_manager.fontManager.ttflist}
