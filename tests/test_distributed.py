"""Scale-out under torchrun: sharding, collectives, failure agreement, and a real 2-process run."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import ROOT, SMALL_NET, invoke, make_panel

from forecast.core.choices import Device, ModelKind
from forecast.core.config import ModelConfig, TrainConfig
from forecast.core.errors import DataError, TrainingError, UsageError
from forecast.model import distributed
from forecast.model.distributed import Context
from forecast.model.loop import choose_threads, fit, seed_everything
from forecast.model.networks import build_model
from forecast.model.windows import make, split_panel
from forecast.workflows import predict, saved_run

HERE = Path(__file__).resolve().parent
# an easy panel and settings under which two processes and one train the same model
TRAIN = [
    "--id-col",
    "series",
    "--epochs",
    "30",
    *SMALL_NET[:-1],
]  # not --quiet: the test reads "run saved to"

needs_gloo = pytest.mark.skipif(
    not (torch.distributed.is_available() and torch.distributed.is_gloo_available()),
    reason="torch built without gloo",
)


def test_from_env_reads_torchrun_variables() -> None:
    assert distributed.from_env({}) is distributed.SINGLE
    assert distributed.from_env({"WORLD_SIZE": "1", "RANK": "0"}) is distributed.SINGLE
    env = {"WORLD_SIZE": "4", "RANK": "3", "LOCAL_RANK": "1", "LOCAL_WORLD_SIZE": "2"}
    ctx = distributed.from_env(env)
    assert ctx == Context(rank=3, world=4, local_rank=1, local_world=2)
    assert ctx.active and not ctx.main


@pytest.mark.parametrize("world", [1, 2, 3, 4])
def test_shards_are_disjoint_equal_and_rebuild_each_global_batch(world: int) -> None:
    order = np.random.default_rng(0).permutation(103)
    shards = [distributed.shard(order, Context(r, world, r, world)) for r in range(world)]
    usable = len(order) // world * world
    assert {len(s) for s in shards} == {usable // world}  # same batch count on every process
    assert sorted(np.concatenate(shards)) == sorted(order[:usable])  # disjoint, nothing else
    b = distributed.local_batch(8 * world, Context(0, world))
    for lo in range(0, usable // world, b):  # step j of all processes = step j of one process
        together = np.concatenate([s[lo : lo + b] for s in shards])
        assert sorted(together) == sorted(order[:usable][lo * world : (lo + b) * world])


def test_single_process_helpers_change_nothing() -> None:
    ctx = distributed.SINGLE
    assert distributed.all_sum([1.5, 2.0], ctx) == [1.5, 2.0]
    assert distributed.from_main("x", ctx) == "x"
    model = torch.nn.Linear(2, 1)
    assert distributed.wrap(model, torch.device("cpu"), ctx) is model
    with pytest.raises(DataError, match="boom"), distributed.together(ctx):
        raise DataError("boom")


def test_threads_share_the_cores_among_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORECAST_THREADS", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    assert choose_threads(1024) == 4
    assert choose_threads(1024, processes=4) == 2
    assert choose_threads(64, processes=4) == 1


def test_fit_refuses_more_processes_than_windows() -> None:
    z = np.sin(np.arange(20.0))
    ws = make(z, 12, 4, 0)
    tr, va = split_panel(np.array([len(z)]), 16, 4, 0)  # 5 windows
    model = build_model(ModelConfig(kind=ModelKind.gru, layers=1, hidden_size=4, output_size=4))
    with pytest.raises(TrainingError, match="cannot be shared by 8 processes"):
        fit(
            model, ws, tr, va, TrainConfig(epochs=1, device=Device.cpu), seed_everything(0), ctx=Context(0, 8)
        )


def test_backtest_refuses_torchrun(monkeypatch: pytest.MonkeyPatch, sample_csv: Path) -> None:
    from forecast.core.config import DataConfig, RunConfig
    from forecast.workflows.backtest import backtest

    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(UsageError, match="without torchrun"):
        backtest(RunConfig(data=DataConfig(path=str(sample_csv))), folds=2)


def sine_fit(
    ctx: Context, nan_at: int | None = None
) -> tuple[list[tuple[int, float, float | None]], np.ndarray]:
    """A small fit whose windows per epoch (160) and batch (16) divide by 2: the loss history
    and final weights; called in one process here and in two by ``_WORKER``."""
    z = np.sin(np.arange(200) * 2 * np.pi / 12)
    if nan_at is not None:
        z[nan_at] = np.nan
    ws = make(z, 12, 4, 0)
    tr, va = split_panel(np.array([len(z)]), 16, 4, 24)
    torch.manual_seed(0)
    model = build_model(ModelConfig(kind=ModelKind.gru, layers=1, hidden_size=8, output_size=4))
    cfg = TrainConfig(epochs=6, batch_size=16, windows_per_epoch=160, lr=1e-2, patience=6, device=Device.cpu)
    result = fit(model, ws, tr, va, cfg, seed_everything(0), ctx=ctx)
    weights = torch.cat([p.detach().flatten() for p in model.parameters()]).numpy()
    return result.history, weights


_WORKER = """
import json, sys
sys.path.insert(0, sys.argv[2])
from test_distributed import sine_fit
from forecast.model import distributed
from forecast.core.choices import Device
from forecast.core.errors import DataError, ForecastError

with distributed.session(Device.cpu) as ctx:
    report = {"sum": distributed.all_sum([ctx.rank + 1.0, 1.0], ctx)}
    report["from_main"] = distributed.from_main(f"from rank {ctx.rank}", ctx)
    try:
        with distributed.together(ctx):
            if ctx.rank == 1:
                raise DataError("only rank 1 saw this")
    except ForecastError as exc:
        report["error"] = [type(exc).__name__, exc.exit_code, str(exc)]
    history, weights = sine_fit(ctx)
    report["history"], report["weights"] = history, weights.tolist()
    try:  # a NaN loss in one process's batch: every process stops in the same epoch
        sine_fit(ctx, nan_at=50)
    except ForecastError as exc:
        report["diverged"] = [type(exc).__name__, str(exc)]
with open(f"{sys.argv[1]}-{ctx.rank}.json", "w") as f:
    json.dump(report, f)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _torchrun(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """``torchrun --nproc-per-node 2`` on loopback (gloo), as a child process with a time limit."""
    env = {k: v for k, v in os.environ.items() if k not in ("WORLD_SIZE", "RANK", "LOCAL_RANK")}
    env.update(
        OMP_NUM_THREADS="1", PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    )
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2"]
    command += ["--master-addr", "127.0.0.1", "--master-port", str(_free_port()), *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=180)


@needs_gloo
def test_two_processes_agree_on_failures_and_train_like_one(tmp_path: Path) -> None:
    script = tmp_path / "worker.py"
    script.write_text(_WORKER)
    done = _torchrun([str(script), str(tmp_path / "report"), str(HERE)], tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    r0, r1 = (json.loads((tmp_path / f"report-{k}.json").read_text()) for k in (0, 1))
    assert r0["sum"] == r1["sum"] == [3.0, 2.0]
    assert r0["from_main"] == r1["from_main"] == "from rank 0"
    # rank 1 failed alone: it keeps its own error, rank 0 stops with the same exit code
    assert r1["error"] == ["DataError", 3, "only rank 1 saw this"]
    assert r0["error"] == ["PeerFailed", 3, "process 1 of 2: only rank 1 saw this"]
    assert r0["weights"] == r1["weights"]  # one model, in sync
    assert r0["diverged"] == r1["diverged"] == ["TrainingError", r0["diverged"][1]]
    assert "diverged" in r0["diverged"][1] and "in epoch 1" in r0["diverged"][1]
    history, weights = sine_fit(distributed.SINGLE)
    np.testing.assert_allclose(np.array(r0["history"], float), np.array(history, float), rtol=1e-4)
    np.testing.assert_allclose(r0["weights"], weights, atol=1e-4)


def _panel(path: Path, n_series: int = 12, length: int = 96) -> Path:
    """Seasonal series with their own level, trend, amplitude and phase, mild noise."""
    make_panel(n_series, length, short_every=0, seed=3, stagger=False).to_csv(path, index=False)
    return path


@needs_gloo
def test_torchrun_train_writes_one_run_that_matches_one_process(tmp_path: Path) -> None:
    data = _panel(tmp_path / "panel.csv")
    done = _torchrun(
        ["-m", "forecast", "train", str(data), *TRAIN, "--runs-dir", "runs2", "--json"], tmp_path
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)  # one JSON object: only rank 0 speaks
    assert report["ok"] and not report["skipped"]
    assert done.stderr.count("run saved to") == 1
    runs = tmp_path / "runs2"
    run = runs / Path(report["run_dir"]).name
    assert sorted(p.name for p in runs.iterdir()) == sorted([run.name, "latest"])  # nothing else
    assert (runs / "latest").resolve() == run.resolve()
    assert json.loads((run / "config.json").read_text())["training"]["processes"] == 2
    card = invoke(*["info", str(run)])
    assert card.exit_code == 0, card.output
    assert "on cpu x 2 processes" in card.output, card.output
    loaded = saved_run.load_run(run)
    forecast = predict.predict(run).frame
    assert len(forecast) == 12 * loaded.config.window.horizon and np.isfinite(forecast["forecast"]).all()

    single = invoke(*["train", str(data), *TRAIN, "--runs-dir", str(tmp_path / "runs1"), "--json", "--quiet"])
    assert single.exit_code == 0, single.output
    one = json.loads(single.stdout)["metrics"]["model"]["smape"]
    two = report["metrics"]["model"]["smape"]
    assert abs(two - one) <= 0.10 * one, (two, one)


@needs_gloo
def test_torchrun_failure_on_rank_zero_stops_every_process(tmp_path: Path) -> None:
    data = _panel(tmp_path / "panel.csv", n_series=2, length=60)
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "latest").write_text("not a link")  # only rank 0 looks at runs/
    done = _torchrun(["-m", "forecast", "train", str(data), "--id-col", "series", "--json"], tmp_path)
    assert done.returncode != 0  # torchrun exits 1 whatever its children exit with
    assert json.loads(done.stdout) == {
        "ok": False,
        "exit_code": 4,
        "error": f"{Path('runs') / 'latest'}: exists and is not a symlink; remove it so it can track "
        "the newest run",
    }
    assert done.stderr.count("exists and is not a symlink") == 1  # said once, by rank 0
    # rank 1 exits 4 too, unless torchrun's SIGTERM (sent when rank 0 exits) overtakes it
    assert "exitcode  : 4" in done.stderr
