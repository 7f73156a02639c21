"""Run directories: atomic staging, the latest link, and loading untrusted files safely."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import pytest
import torch

from forecast.core.choices import ModelKind
from forecast.core.config import ModelConfig
from forecast.core.errors import RunError, UsageError
from forecast.model.networks import build_model
from forecast.runs import dirs, files, staging
from forecast.runs.run import read_meta


def test_staged_run_appears_only_when_complete(tmp_path: Path) -> None:
    target = tmp_path / "runs" / "a"
    with staging.staged_run(target) as tmp:
        (tmp / "config.json").write_text("{}")
        assert not target.exists()  # nothing visible while writing
    assert (target / "config.json").is_file()
    assert [p.name for p in target.parent.iterdir()] == ["a"]  # no leftovers


def test_failed_run_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "runs" / "a"
    with pytest.raises(RuntimeError):
        with staging.staged_run(target) as tmp:
            (tmp / "config.json").write_text("{}")
            raise RuntimeError("boom")
    assert not target.exists()
    assert list(target.parent.iterdir()) == []


def test_rerun_replaces_earlier_run(tmp_path: Path) -> None:
    target = tmp_path / "a"
    for content in ("1", "2"):
        with staging.staged_run(target) as tmp:
            (tmp / "config.json").write_text(content)
    assert (target / "config.json").read_text() == "2"
    assert [p.name for p in tmp_path.iterdir()] == ["a"]


def test_refuses_to_replace_a_non_run_directory(tmp_path: Path) -> None:
    target = tmp_path / "precious"
    target.mkdir()
    (target / "thesis.tex").write_text("do not delete")
    with pytest.raises(UsageError, match="not a run directory"):
        with staging.staged_run(target):
            pass
    assert (target / "thesis.tex").exists()


def test_stale_temporary_directories_are_cleaned(tmp_path: Path) -> None:
    dead = tmp_path / ".tmp-a-999999999-xyz"  # a pid that cannot exist
    dead.mkdir()
    alive = tmp_path / f".tmp-b-{os.getppid()}-xyz"  # a live process's work in progress
    alive.mkdir()
    with staging.staged_run(tmp_path / "c") as tmp:
        (tmp / "config.json").write_text("{}")
    assert not dead.exists() and alive.exists()


def test_latest_link(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    inside, outside = runs / "r1", tmp_path / "elsewhere"
    for d in (inside, outside):
        d.mkdir(parents=True)
    link = dirs.update_latest(runs, inside)
    assert os.readlink(link) == "r1" and link.resolve() == inside.resolve()
    dirs.update_latest(runs, outside)
    assert link.resolve() == outside.resolve() and os.path.isabs(os.readlink(link))


def _weights(tmp_path: Path) -> tuple[Path, str, torch.nn.Module]:
    torch.manual_seed(0)
    model = build_model(ModelConfig(kind=ModelKind.gru, hidden_size=4, output_size=2))
    path = tmp_path / files.WEIGHTS
    sha = files.save_weights(model.state_dict(), path)
    return path, sha, model


def test_weights_round_trip_identical(tmp_path: Path) -> None:
    path, sha, model = _weights(tmp_path)
    again = build_model(ModelConfig(kind=ModelKind.gru, hidden_size=4, output_size=2))
    again.load_state_dict(files.load_weights(path, sha))
    x = torch.randn(3, 6, 1)
    torch.testing.assert_close(model(x), again(x), rtol=0, atol=0)


def test_altered_or_truncated_weights_are_refused(tmp_path: Path) -> None:
    path, sha, _ = _weights(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(RunError, match="SHA-256"):
        files.load_weights(path, sha)


class _Payload:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):  # what an attacker's pickle would do on load
        return (open, (self.marker, "w"))


def test_pickle_payload_never_executes(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / files.WEIGHTS
    path.write_bytes(pickle.dumps({"w": _Payload(str(marker))}))
    sha = files.sha256_file(path)  # even with a matching hash recorded
    with pytest.raises(RunError, match="not a valid safetensors"):
        files.load_weights(path, sha)
    assert not marker.exists()


def test_config_schema_version_checked(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"schema_version": 99, "versions": {"forecast": "9.0"}}))
    with pytest.raises(RunError, match="schema version 99.*forecast 9.0.*reads schema versions 2 and 3"):
        read_meta(tmp_path)


def test_config_not_json(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(RunError, match="not JSON"):
        read_meta(tmp_path)


def test_incomplete_run_directory(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(RunError, match="model.safetensors is missing"):
        files.resolve_run(tmp_path)
    with pytest.raises(RunError, match="no such run directory"):
        files.resolve_run(tmp_path / "nope")
