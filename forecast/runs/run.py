"""The run directory format, its one owner: ``write`` a run, ``read`` it back as a checked ``Run``.

Every command goes through here: train writes with ``write`` (and ``read``s the newest run for
``--if-changed``), predict and plot ``read``, info reads the envelope with ``read_meta`` and
shows what it can. config.json, schema version 3:

- ``schema_version``, ``created_utc``, ``versions``;
- ``settings``: the resolved ``RunConfig``, the one place for the data's path, columns and
  frequency (``settings.data``) and the season (``settings.window.season``);
- ``data``: facts about the training data: ``DATA_FACTS``;
- ``training``: how it was trained: ``TRAINING_FIELDS``;
- ``weights`` (``file``, ``sha256``) and ``series_sha256``: the other files, signed;
- ``parent`` (optional, ``train --init``): the run the weights started from (``run``,
  ``weights_sha256``, ``created_utc``, ``trained_until``) and its ``lineage``, oldest first.

Schema 2 runs (forecast 0.x) are read through ``migrate_v2``; other versions are refused.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from forecast.core.choices import SERIES_METHODS
from forecast.core.config import SCHEMA_VERSION, RunConfig
from forecast.core.errors import RunError
from forecast.runs import check, files

__all__ = [
    "Run",
    "DATA_FACTS",
    "TRAINING_FIELDS",
    "METRICS",
    "write",
    "read",
    "read_meta",
    "migrate_v2",
    "data_card",
    "read_series",
    "load_state",
    "read_metrics",
]

METRICS = "metrics.json"
DATA_FACTS = (
    "sha256", "series", "rows", "first_date", "last_date", "anchor", "zone", "offsets", "dayfirst",
    "trained_until",
)  # fmt: skip
TRAINING_FIELDS = ("device", "processes", "ensemble", "best_epochs", "epochs_run", "refit", "seconds")
# schema 2 kept these in ``data`` as well as in ``settings``; schema 3 keeps the settings' copy
_V2_DUPLICATES = ("path", "date_col", "value_col", "id_col", "wide", "freq", "season")


@dataclass(frozen=True)
class Run:
    """A run directory whose config.json is read, migrated to this schema and checked: the
    settings against each other and the data facts (``runs.check``)."""

    path: Path  # the real directory
    config: RunConfig
    meta: dict[str, Any]  # config.json in this schema version

    @property
    def data(self) -> dict[str, Any]:
        return self.meta["data"]

    @property
    def training(self) -> dict[str, Any]:
        return self.meta["training"]

    @property
    def where(self) -> Path:
        return self.path / files.CONFIG


def write(
    tmp: Path,
    cfg: RunConfig,
    data: dict[str, Any],
    training: dict[str, Any],
    versions: dict[str, str],
    state: dict[str, Any],
    series: dict[str, Any],
    scores: dict[str, Any],
    parent: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write config.json, series.json, the weights and metrics.json into the staging
    directory ``tmp``; returns config.json's content. ``parent``: the run --init started from."""
    missing = [k for k in DATA_FACTS if k not in data] + [k for k in TRAINING_FIELDS if k not in training]
    assert not missing, missing
    weights_sha256 = files.save_weights(state, tmp / files.WEIGHTS)
    files.write_json(tmp / files.SERIES, series)
    files.write_json(tmp / METRICS, scores)
    meta = {
        "schema_version": SCHEMA_VERSION,
        "created_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "versions": versions,
        "settings": cfg.to_dict(),
        "data": {k: data[k] for k in DATA_FACTS},
        "training": {k: training[k] for k in TRAINING_FIELDS},
        "weights": {"file": files.WEIGHTS, "sha256": weights_sha256},
        "series_sha256": files.sha256_file(tmp / files.SERIES),
    }
    if parent is not None:
        meta["parent"] = parent
    files.write_json(tmp / files.CONFIG, meta)
    return meta


def read(run: Path) -> Run:
    """The run at ``run`` (a directory or ``runs/latest``), complete, migrated and checked."""
    path = files.resolve_run(run)
    where = path / files.CONFIG
    meta = read_meta(path)
    cfg = RunConfig.from_dict(meta["settings"])
    check.check_data(meta["data"], cfg, where)
    check.check_settings(cfg, meta["data"], where)
    return Run(path, cfg, meta)


def read_meta(run_dir: Path) -> dict[str, Any]:
    """config.json parsed strictly, its schema version checked (schema 2 migrated) and its
    sections present; the fields themselves are checked by ``read``."""
    path = run_dir / files.CONFIG
    raw = check.read_json(path, check.MAX_CONFIG_BYTES)  # size-capped, strict: RunError for anything else
    if not isinstance(raw, dict):
        raise RunError(f"{path}: not a JSON object")
    version = raw.get("schema_version")
    if version == 2:
        raw = migrate_v2(raw, path)
    elif version != SCHEMA_VERSION:
        raise RunError(
            f"{path}: run schema version {version!r} (written by forecast {_made_by(raw)}); this "
            f"forecast reads schema versions 2 and {SCHEMA_VERSION}; train again with this version"
        )
    for section in ("settings", "data", "weights", "training"):
        if not isinstance(raw.get(section), dict):
            raise RunError(f"{path}: section '{section}' is missing or not an object")
    return raw


def migrate_v2(raw: dict[str, Any], path: Path) -> dict[str, Any]:
    """Schema 2 -> 3: the copies of the settings in ``data`` (path, columns, frequency, season)
    are dropped. Schema 2 runs from before every data fact and training field was recorded are
    refused: what they lack cannot be told after the fact."""
    data, training = raw.get("data"), raw.get("training")
    if not isinstance(data, dict) or not isinstance(training, dict):
        return raw  # read_meta names the missing section
    lacks = [f"data.{k}" for k in DATA_FACTS if k not in data]
    lacks += [f"training.{k}" for k in TRAINING_FIELDS if k not in training]
    if lacks:
        raise RunError(
            f"{path}: a schema version 2 run written by forecast {_made_by(raw)} before {lacks[0]} was "
            f"recorded; this forecast cannot read it; train again with this version"
        )
    facts = {k: v for k, v in data.items() if k not in _V2_DUPLICATES}
    return {**raw, "schema_version": SCHEMA_VERSION, "data": facts}


def _made_by(raw: dict[str, Any]) -> str:
    versions = raw.get("versions")
    made_by = versions.get("forecast") if isinstance(versions, dict) else None
    return made_by if isinstance(made_by, str) else "an unknown version"


def data_card(meta: dict[str, Any]) -> dict[str, Any]:
    """The data as ``info`` shows it: where it was read and how (from the settings), then the
    data facts. Unchecked: a malformed settings section gives what it can."""
    settings = meta.get("settings") if isinstance(meta.get("settings"), dict) else {}
    given = settings.get("data") if isinstance(settings.get("data"), dict) else {}
    window = settings.get("window") if isinstance(settings.get("window"), dict) else {}
    card = {k: given.get(k) for k in ("path", "date_col", "value_col", "id_col", "wide", "freq")}
    return {**card, "season": window.get("season"), **meta["data"]}


def read_series(run: Run) -> dict[str, Any]:
    """series.json (ids, methods, fitted transforms) after checking the SHA-256 config.json records."""
    import hashlib

    path = run.path / files.SERIES
    content = check.read_bytes(path, check.MAX_SERIES_BYTES)  # the bytes hashed are the bytes parsed
    expected = run.meta.get("series_sha256")
    if not isinstance(expected, str) or hashlib.sha256(content).hexdigest() != expected:
        raise RunError(
            f"{path}: SHA-256 differs from the one in config.json: altered or truncated; train again"
        )
    raw = check.parse_json(content, path)
    ids, methods = (
        raw.get("ids") if isinstance(raw, dict) else None,
        raw.get("method") if isinstance(raw, dict) else None,
    )
    if not isinstance(ids, list) or not isinstance(methods, list) or len(ids) != len(methods):
        raise RunError(f"{path}: 'ids' and 'method' must be lists of equal length")
    if not all(isinstance(i, str) for i in ids) or not all(m in SERIES_METHODS for m in methods):
        raise RunError(f"{path}: ids must be text and methods one of {', '.join(SERIES_METHODS)}")
    network = raw.get("network", [m == "model" for m in methods])  # absent before the choice existed
    if (
        not isinstance(network, list)
        or len(network) != len(ids)
        or not all(isinstance(b, bool) for b in network)
    ):
        raise RunError(f"{path}: 'network' must be a list of true/false, one per series")
    raw["network"] = network
    return raw


def load_state(run: Run) -> dict[str, Any]:
    """The weights (tensors by name) after their SHA-256 and their header against the network
    config.json describes: nothing is built before both hold."""
    weights = run.meta["weights"]
    if not isinstance(weights.get("sha256"), str) or weights.get("file") != files.WEIGHTS:
        raise RunError(f"{run.where}: 'weights' must name {files.WEIGHTS} and its sha256")
    return files.load_weights(
        run.path / files.WEIGHTS,
        weights["sha256"],
        lambda p: check.check_weights(check.weights_header(p), run.config, p),
    )


def read_metrics(run_dir: Path) -> Any:
    """metrics.json (strict, size-capped JSON), or {} when the run has none."""
    path = run_dir / METRICS
    return check.read_json(path, check.MAX_METRICS_BYTES) if path.is_file() else {}
