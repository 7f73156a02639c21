"""Look at data and runs without training: ``validate``, ``info`` and ``plot_run``.

None of these import torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from forecast.core.choices import LABELS, Fill, Strategy
from forecast.core.config import RunConfig
from forecast.core.errors import DataError, RunError
from forecast.data import dataset, frequency, grid
from forecast.runs import check, files
from forecast.runs import run as runformat
from forecast.runs.plot import recent_history
from forecast.scoring.statistical import MIN_LENGTH
from forecast.workflows.fitting import default_horizon, default_lookback, resolve

__all__ = ["Validation", "PlotOutcome", "validate", "info", "plot_run"]


@dataclass
class PlotOutcome:
    """The picture drawn and what the user should know about it."""

    path: Path
    warnings: list[str] = field(default_factory=list)


def plot_run(
    run: Path, out: Path | None = None, only: list[str] | None = None, data_path: str | None = None
) -> PlotOutcome:
    """Picture of a run: recent history, hold-out actuals and forecast, and forecast.csv if any."""
    from forecast.runs.plot import MAX_PANELS, image_format, plot_series

    if out is not None:
        image_format(out)  # an unknown suffix fails before anything is read
    found = runformat.read(run)
    path, cfg = found.path, found.config
    w = cfg.window
    assert w.season and w.horizon
    source = data_path or cfg.data.path
    from forecast.workflows.predict_inputs import read_like_training

    ds = read_like_training(cfg, found.data, source)
    if only:
        missing = sorted(set(only) - set(map(str, ds.ids)))
        if missing:
            raise DataError(f"{source}: no series {missing} (--series)")
    frames = {
        "holdout": _run_csv(path / "holdout.csv", ("date", "actual", "forecast")),
        "forecast": _run_csv(path / "forecast.csv", ("date", "forecast")),
    }
    if frames["holdout"] is None and frames["forecast"] is None:
        raise RunError(
            f"{path}: has neither holdout.csv nor forecast.csv to draw; run forecast predict first"
        )
    title = f"{cfg.model.kind.value.upper()} run {path.name}"
    target = out or path / "forecast.png"
    history = recent_history(ds, w.season, w.horizon, only)
    warnings: list[str] = []
    total = len(set(only)) if only else len(ds.ids)
    if total > MAX_PANELS:
        warnings.append(f"drew {MAX_PANELS} of {total} series; pick them with --series")
    picture = plot_series(
        history,
        target,
        title,
        holdout=frames["holdout"],
        future=frames["forecast"],
        on_warning=warnings.append,
    )
    return PlotOutcome(picture, warnings)


def _run_csv(path: Path, columns: tuple[str, ...]) -> pd.DataFrame | None:
    """holdout.csv or forecast.csv of a run (None when absent), checked like any run file:
    RunError naming the file when it is not the CSV a run writes."""
    if not path.exists() and not path.is_symlink():
        return None
    check.check_file(path, check.MAX_CSV_BYTES)
    fix = "train again" if path.name == "holdout.csv" else "run forecast predict again"
    try:
        frame = pd.read_csv(path, dtype={"series": str})
    except (ValueError, OSError) as exc:  # pandas' parser and empty-file errors are ValueErrors
        detail = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise RunError(f"{path}: not the CSV a run writes ({detail}); {fix}") from None
    missing = [c for c in columns if c not in frame.columns]
    if missing or frame.empty:
        what = f"lacks column(s) {missing}" if missing else "has no rows"
        raise RunError(f"{path}: {what}; {fix}")
    try:
        frame["date"] = pd.to_datetime(frame["date"])
        for c in frame.columns:
            if c in ("actual", "forecast") or c[:3] in ("lo-", "hi-"):
                frame[c] = pd.to_numeric(frame[c])
    except (ValueError, TypeError, OverflowError) as exc:
        detail = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise RunError(f"{path}: holds a bad date or number ({detail}); {fix}") from None
    return frame


@dataclass
class Validation:
    """What ``forecast validate`` reports: per-series facts and the first blocking problem."""

    path: str
    freq: str
    need: int  # rows a series needs: lookback + horizon (+ test size where no series has that;
    # with the default lookback, the hold-out plus what Theta and ETS need where that is less)
    series: pd.DataFrame
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None


def validate(cfg: RunConfig) -> Validation:
    """Run the loader's checks without training; facts per series even when one fails."""
    rows = dataset.read_rows(cfg.data)
    frame = rows.frame
    freq = cfg.data.freq
    if freq is None:
        sizes = frame.groupby("unique_id", sort=False).size()
        longest = frame.loc[frame["unique_id"] == sizes.idxmax(), "ds"]
        with dataset.month_first_hint(rows, cfg.data):
            freq = frequency.infer_freq(
                pd.DatetimeIndex(longest.drop_duplicates().sort_values()), cfg.data.path
            )
    freq = frequency.anchored_freq(freq, frame["ds"].min())  # --freq M: month start or end, as the data
    w = cfg.window
    season = w.season or frequency.season_length(freq)
    horizon = w.horizon or default_horizon(season)
    lookback = w.lookback or default_lookback(season, horizon)
    out_len = horizon if w.strategy is Strategy.many_to_many else 1
    need = lookback + out_len  # panels: shorter series get the seasonal-naive fallback
    test_size = horizon if w.test_size is None else w.test_size
    table = grid.describe(frame, freq, need)
    if cfg.data.fill is Fill.mask:  # what --fill mask will keep missing: empty cells and missing dates
        table["masked"] = table["nan"] + table["gaps"]
    span = table["rows"] - table["duplicate_dates"] + table["gaps"]
    if not (cfg.data.id_col or cfg.data.wide) or (span < need + test_size).all():
        # one series, or a panel without any series long enough to train on before its
        # hold-out: every series needs the hold-out on top, as train says
        need += test_size
        table["too_short"] = span < need
        if w.lookback is None:  # the default candidates: Theta and ETS take what the network cannot
            need = min(need, test_size + MIN_LENGTH + 1)
            table["too_short"] = span < need
    table["network"] = span >= lookback + out_len + test_size  # trained on before its hold-out
    error = None
    try:
        resolve(cfg, dataset.read(cfg.data))  # exactly what train runs
    except DataError as exc:
        error = str(exc)
    return Validation(cfg.data.path, freq, need, table, error)


def info(run: Path) -> dict[str, Any]:
    """The model card of a run: data, settings, training, hold-out scores, versions.

    A malformed field (wrong type, missing) becomes None and is named in ``problems``, so the
    card shows what it can; the CLI then fails with exit 4."""
    path = files.resolve_run(run)
    meta = runformat.read_meta(path)  # the fields are checked below, leniently: the card shows what it can
    where = path / files.CONFIG
    problems: list[str] = []
    try:
        RunConfig.from_dict(meta["settings"])  # validated like predict would
    except RunError as exc:
        problems.append(f"{where}: {str(exc).removeprefix('config.json: ')}")
    settings = {}
    for name in ("data", "window", "model", "train"):
        section = meta["settings"].get(name)
        settings[name] = section if isinstance(section, dict) else {}
    metrics_path = path / runformat.METRICS
    scores: Any = {}
    try:
        scores = runformat.read_metrics(path)
    except RunError as exc:
        problems.append(str(exc))
    if not isinstance(scores, dict):
        problems.append(f"{metrics_path}: not a JSON object")
        scores = {}
    created = meta.get("created_utc")
    versions = meta.get("versions", {})
    if not isinstance(versions, dict):
        problems.append(f"{where}: versions is not an object")
        versions = {}
    return {
        "run_dir": str(path),
        "created_utc": _typed(created, str, f"{where}: created_utc", problems)
        if created is not None
        else None,
        "data": _fields(runformat.data_card(meta), _DATA_FIELDS, f"{where}: data", problems),
        "settings": settings,
        "training": _fields(meta["training"], _TRAINING_FIELDS, f"{where}: training", problems),
        "holdout": _holdout(scores, metrics_path, problems),
        "parent": _parent(meta.get("parent"), f"{where}: parent", problems),
        "versions": {str(k): _typed(v, str, f"{where}: versions.{k}", problems) for k, v in versions.items()},
        "problems": problems,
    }


_INT, _NUM, _TEXT, _FLAG = "int", "num", "text", "flag"
# field: (kind, required); the model card reads these
_DATA_FIELDS = {  # the data facts; path, freq and season come from the settings, checked above
    "sha256": (_TEXT, True), "series": (_INT, True), "rows": (_INT, True), "first_date": (_TEXT, True),
    "last_date": (_TEXT, True),
}  # fmt: skip
_TRAINING_FIELDS = {
    "seconds": (_NUM, True), "device": (_TEXT, True), "processes": (_INT, True), "epochs_run": (_INT, True),
    "best_epochs": ("ints", True), "refit": (_FLAG, True), "ensemble": (_INT, True),
}  # fmt: skip
_METRICS = ("model", "net", *LABELS, "naive", "seasonal_naive", "drift")


def _ok(value: Any, kind: str) -> bool:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return {
        _INT: number and isinstance(value, int),
        _NUM: number,
        _TEXT: isinstance(value, str),
        _FLAG: isinstance(value, bool),
        "ints": isinstance(value, list)
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value),
        "num?": value is None or number,
    }[kind]


def _typed(value: Any, kind: Any, where: str, problems: list[str]) -> Any:
    kind = {str: _TEXT}.get(kind, kind)
    if _ok(value, kind):
        return value
    expected = {
        _INT: "a whole number", _NUM: "a number", _TEXT: "text", _FLAG: "true or false", "num?": "a number or null"
    }  # fmt: skip
    problems.append(f"{where} is {_show(value)}; expected {expected.get(kind, 'a list of whole numbers')}")
    return None


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _fields(
    section: dict[str, Any], spec: dict[str, tuple[str, bool]], where: str, problems: list[str]
) -> dict[str, Any]:
    out = dict(section)
    for key, (kind, required) in spec.items():
        if key not in section:
            if required:
                problems.append(f"{where}.{key} is missing")
                out[key] = None
        else:
            out[key] = _typed(section[key], kind, f"{where}.{key}", problems)
    return out


_PARENT_FIELDS = {
    "run": (_TEXT, True), "weights_sha256": (_TEXT, True), "trained_until": (_TEXT, True),
    "created_utc": (_TEXT, False),
}  # fmt: skip


def _parent(raw: Any, where: str, problems: list[str]) -> dict[str, Any] | None:
    """config.json's ``parent`` (runs trained with --init): the run, then its lineage, checked."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problems.append(f"{where} is {_show(raw)}; expected an object")
        return None
    out = _fields({k: x for k, x in raw.items() if k != "lineage"}, _PARENT_FIELDS, where, problems)
    lineage = raw.get("lineage", [])
    if not isinstance(lineage, list) or not all(isinstance(e, dict) for e in lineage):
        problems.append(f"{where}.lineage is {_show(lineage)}; expected a list of objects")
        lineage = []
    out["lineage"] = [
        _fields(e, _PARENT_FIELDS, f"{where}.lineage[{k}]", problems) for k, e in enumerate(lineage)
    ]
    return out


def _holdout(scores: dict[str, Any], path: Path, problems: list[str]) -> dict[str, Any]:
    """metrics.json with every field the card shows checked; malformed ones become None."""
    out = dict(scores)
    if "test_size" in scores:
        out["test_size"] = _typed(scores["test_size"], _INT, f"{path}: test_size", problems)
    if "verdict" in scores:
        out["verdict"] = _typed(scores["verdict"], _TEXT, f"{path}: verdict", problems)
    for name in (*_METRICS, "holdout_coverage"):
        if name not in scores:
            continue
        row = scores[name]
        if not isinstance(row, dict):
            problems.append(f"{path}: {name} is {_show(row)}; expected an object")
            out[name] = {}
            continue
        out[name] = {str(k): _typed(v, "num?", f"{path}: {name}.{k}", problems) for k, v in row.items()}
    return out
