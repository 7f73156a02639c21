"""Checks of an untrusted run directory, before anything is allocated or built from it.

A run directory may come from someone else. config.json is the root of trust: whoever
edits it can re-sign series.json and the weights, so matching SHA-256s only prove that the
files belong together. Here every file is read with a size cap and strict JSON (no NaN,
no inf, no integers beyond 64 bits, no runaway nesting), every setting is checked against
the others (input width, output size, steps, series count), and the safetensors header
(shapes and dtypes) is checked against the network config.json describes before a byte of
the network is allocated. Every failure is a ``RunError`` (exit 4) naming the file and field.
"""

from __future__ import annotations

import json
import math
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from forecast.core.choices import Strategy
from forecast.core.config import RunConfig
from forecast.core.errors import RunError

if TYPE_CHECKING:
    from forecast.model.transforms import SeriesTransform

__all__ = [
    "MAX_CONFIG_BYTES",
    "MAX_METRICS_BYTES",
    "MAX_SERIES_BYTES",
    "MAX_CSV_BYTES",
    "MAX_STEPS",
    "check_file",
    "read_bytes",
    "parse_json",
    "read_json",
    "check_data",
    "check_settings",
    "check_series",
    "weights_header",
    "check_weights",
    "check_calibration",
]

MAX_CONFIG_BYTES = 4 << 20  # a config.json is a few kB; refused unread beyond this
MAX_METRICS_BYTES = 16 << 20
MAX_SERIES_BYTES = 256 << 20  # about 700,000 series with monthly seasonal indices
MAX_CSV_BYTES = 1 << 30  # holdout.csv, forecast.csv read by plot
MAX_HEADER_BYTES = 16 << 20  # safetensors header (JSON): 100 members x 8 layers is ~400 kB
MAX_STEPS = 100_000  # lookback, horizon and season of a run
_DIGITS = 19  # JSON integers in a run fit in 64 bits
_FLOAT = {"F32": 4, "F64": 8}  # what a run's weights and calibration errors may be
_INDEX = {"I64": 8}  # calibration.series


def check_file(path: Path, limit: int) -> int:
    """The size of ``path`` after checking it is a regular file of at most ``limit`` bytes."""
    try:
        info = os.stat(path)
    except OSError as exc:
        raise RunError(f"{path}: cannot be read ({exc.strerror or exc}); train again") from None
    if not stat.S_ISREG(info.st_mode):
        raise RunError(f"{path}: is not a regular file; train again")
    if info.st_size > limit:
        raise _too_big(path, info.st_size, limit)
    return info.st_size


def _too_big(path: Path, size: int, limit: int) -> RunError:
    return RunError(
        f"{path}: {size:,} bytes, more than the {limit:,} a run's {path.name} may hold; "
        "refused unread (an altered run?); train again"
    )


def read_bytes(path: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; larger ones are never read."""
    check_file(path, limit)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(limit + 1)
    except OSError as exc:
        raise RunError(f"{path}: cannot be read ({exc.strerror or exc}); train again") from None
    if len(raw) > limit:  # grew after the stat
        raise _too_big(path, len(raw), limit)
    return raw


def _int(text: str) -> int:
    if len(text.lstrip("-")) > _DIGITS:
        raise ValueError(f"integer with {len(text.lstrip('-'))} digits")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:20]} is out of range")
    return value


def _constant(text: str) -> Any:
    raise ValueError(f"{text} is not JSON")


def parse_json(raw: bytes, path: Path) -> Any:
    """Strict JSON from ``raw`` (read from ``path``); RunError for anything else."""
    try:
        return json.loads(raw.decode("utf-8"), parse_int=_int, parse_float=_float, parse_constant=_constant)
    except RecursionError:
        raise RunError(f"{path}: JSON nested too deeply to be a run file (altered?); train again") from None
    except (UnicodeDecodeError, ValueError) as exc:
        detail = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise RunError(f"{path}: unreadable or not JSON ({detail}); train again") from None


def read_json(path: Path, limit: int) -> Any:
    """``read_bytes`` then ``parse_json``."""
    return parse_json(read_bytes(path, limit), path)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_data(section: dict[str, Any], cfg: RunConfig, where: Path) -> None:
    """config.json's ``data`` facts and the settings predict and plot read the data with."""
    import pandas as pd

    d = cfg.data
    for key in ("date_col", "freq"):
        if not isinstance(getattr(d, key), str):
            raise RunError(f"{where}: settings.data.{key} is missing or not text")
    if not d.wide and not isinstance(d.value_col, str):
        raise RunError(f"{where}: settings.data.value_col is missing or not text")
    assert d.freq is not None
    try:
        pd.tseries.frequencies.to_offset(d.freq)
    except (ValueError, TypeError):
        raise RunError(f"{where}: settings.data.freq {d.freq[:40]!r} is not a frequency") from None
    for key in ("anchor", "trained_until"):
        if not isinstance(section.get(key), str):
            raise RunError(f"{where}: data.{key} is missing or not text")
        try:
            pd.Timestamp(section[key])
        except (ValueError, TypeError, OverflowError):
            raise RunError(f"{where}: data.{key} is not a date") from None
    for key in ("rows", "series"):
        if not _is_int(section.get(key)) or section[key] < 1:
            raise RunError(f"{where}: data.{key} is {section.get(key)!r}; expected a count of at least 1")
    if section.get("zone", "") not in (None, "wall", "utc"):
        raise RunError(f"{where}: data.zone must be null, 'wall' or 'utc'")
    offsets = section.get("offsets")
    if not isinstance(offsets, list) or not all(_is_int(m) and abs(m) < 24 * 60 for m in offsets):
        raise RunError(f"{where}: data.offsets must be a list of minutes")
    if "dayfirst" not in section or not isinstance(section["dayfirst"], (bool, type(None))):
        raise RunError(f"{where}: data.dayfirst must be null, true or false")


def check_settings(cfg: RunConfig, section: dict[str, Any], where: Path) -> int:
    """Every setting against the others; returns the model's output length (horizon or 1)."""
    w, m, d = cfg.window, cfg.model, cfg.data
    for name in ("lookback", "horizon", "season"):
        value = getattr(w, name)
        if value is None or not 1 <= value <= MAX_STEPS:
            raise RunError(f"{where}: settings.window.{name} is {value}; a run holds 1 to {MAX_STEPS:,}")
    assert w.lookback and w.horizon and w.season
    out_len = w.horizon if w.strategy is Strategy.many_to_many else 1
    if w.lookback + out_len > section["rows"] and section["series"] > 1:  # one series: see no_network
        raise RunError(
            f"{where}: settings.window.lookback {w.lookback} + output {out_len} is more than the "
            f"{section['rows']} rows the run was trained on (data.rows)"
        )
    if m.output_size != out_len:
        raise RunError(
            f"{where}: settings.model.output_size is {m.output_size}; horizon {w.horizon} with "
            f"{w.strategy.value} gives {out_len}"
        )
    if w.calendar:
        if w.season < 2:
            raise RunError(
                f"{where}: settings.window.calendar is on with season {w.season}; it needs a season"
            )
        phase = w.calendar_phase or 0
        if not 0 <= phase < w.season:
            raise RunError(
                f"{where}: settings.window.calendar_phase is {phase}; expected 0 to season - 1 = {w.season - 1}"
            )
    width = (
        1 + int(w.missing_flag) + (2 if w.calendar else 0) + len(d.covariates) + 2 * len(d.future_covariates)
    )
    if m.input_size != width:
        raise RunError(
            f"{where}: settings.model.input_size is {m.input_size}; the run's inputs (the value"
            f"{', the missing flag' if w.missing_flag else ''}{', 2 calendar' if w.calendar else ''}, {len(d.covariates)} observed and "
            f"{len(d.future_covariates)} known-ahead covariates) give {width}"
        )
    ahead = len(d.future_covariates) if out_len > 1 else 0
    if m.ahead_inputs != ahead:
        raise RunError(
            f"{where}: settings.model.ahead_inputs is {m.ahead_inputs}; the covariates give {ahead}"
        )
    return out_len


def check_series(
    ids: list[str], transforms: list[SeriesTransform], cfg: RunConfig, section: dict[str, Any], path: Path
) -> None:
    """series.json against config.json: one entry per series, unique ids, the run's season."""
    if len(ids) != section["series"]:
        raise RunError(f"{path}: holds {len(ids)} series; config.json's data.series says {section['series']}")
    if len(set(ids)) != len(ids):
        raise RunError(f"{path}: 'ids' holds a series id twice")
    w = cfg.window
    assert w.lookback
    for k, t in enumerate(transforms):
        if t.season != w.season:
            raise RunError(f"{path}: transform.season[{k}] is {t.season}; the run's season is {w.season}")
        if not 0 <= t.level_len <= w.lookback:
            raise RunError(
                f"{path}: transform.level_len[{k}] is {t.level_len}; expected 0 to lookback = {w.lookback}"
            )


def weights_header(path: Path) -> dict[str, tuple[str, tuple[int, ...]]]:
    """Name -> (dtype, shape) from a safetensors header (8-byte little-endian length + JSON),
    after checking the tensors it declares fill the file exactly; reads nothing else."""
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            head = fh.read(8)
            length = int.from_bytes(head, "little") if len(head) == 8 else -1
            if not 0 < length <= min(MAX_HEADER_BYTES, size - 8):
                raise RunError(f"{path}: not a valid safetensors file (header length {length}); train again")
            raw = fh.read(length)
    except OSError as exc:
        raise RunError(f"{path}: cannot be read ({exc.strerror or exc}); train again") from None
    parsed = parse_json(raw, path)
    if not isinstance(parsed, dict):
        raise RunError(f"{path}: not a valid safetensors file (header is not an object); train again")
    out: dict[str, tuple[str, tuple[int, ...]]] = {}
    total = 0
    for name, entry in parsed.items():
        if name == "__metadata__":
            continue
        dtype = entry.get("dtype") if isinstance(entry, dict) else None
        shape = entry.get("shape") if isinstance(entry, dict) else None
        span = entry.get("data_offsets") if isinstance(entry, dict) else None
        ok = isinstance(shape, list) and all(_is_int(n) and n >= 0 for n in shape)
        ok = ok and isinstance(span, list) and len(span) == 2 and all(_is_int(n) for n in span)
        if not ok or not isinstance(dtype, str):
            raise RunError(f"{path}: not a valid safetensors file (tensor {name[:60]!r}); train again")
        size_of = {**_FLOAT, **_INDEX}.get(dtype)
        if size_of is None:
            raise RunError(
                f"{path}: tensor {name[:60]!r} is {dtype[:10]}; a run's weights are F32 or F64 "
                "(calibration.series I64); train again"
            )
        nbytes = math.prod(shape) * size_of
        if span[1] - span[0] != nbytes:
            raise RunError(f"{path}: tensor {name[:60]!r} does not hold what its shape says; train again")
        total += nbytes
        out[name] = (dtype, tuple(shape))
    if total != size - 8 - length:
        raise RunError(
            f"{path}: its tensors declare {total:,} bytes but the file holds {size - 8 - length:,}; train again"
        )
    return out


def check_weights(header: dict[str, tuple[str, tuple[int, ...]]], cfg: RunConfig, path: Path) -> None:
    """The header's tensors are exactly those of config.json's network (ensemble members and
    calibration errors), with their shapes and dtypes: nothing is built before this holds."""
    from forecast.model.networks import state_shapes

    m = cfg.model
    net = state_shapes(m)
    expected = {f"{k}.{name}": shape for k in range(cfg.train.ensemble) for name, shape in net.items()}
    what = f"the {m.kind.value} network of config.json (hidden_size {m.hidden_size}, layers {m.layers})"
    for name, shape in expected.items():  # in the network's order: the first layer first
        if name not in header:
            raise RunError(
                f"{path}: lacks tensor {name!r} for {what}: weights and settings differ; train again"
            )
        dtype, found = header[name]
        if found != shape:
            raise RunError(
                f"{path}: tensor {name!r} has shape {list(found)}; {what} needs {list(shape)}: "
                "weights and settings differ; train again"
            )
        if dtype not in _FLOAT:
            raise RunError(f"{path}: tensor {name!r} is {dtype}; a run's weights are F32 or F64")
    extra = sorted(set(header) - set(expected) - {"calibration.errors", "calibration.series"})
    if extra:
        raise RunError(f"{path}: has an unexpected tensor {extra[0][:60]!r} for {what}; train again")
    errors, series = header.get("calibration.errors"), header.get("calibration.series")
    if errors is None or series is None:
        raise RunError(f"{path}: calibration errors are missing; train again")
    assert cfg.window.horizon
    if errors[0] not in _FLOAT or len(errors[1]) != 2 or errors[1][1] != cfg.window.horizon:
        raise RunError(
            f"{path}: calibration.errors is {errors[0]} {list(errors[1])}; expected F32 or F64 "
            f"[origins, horizon = {cfg.window.horizon}]"
        )
    if series[0] not in _INDEX or series[1] != errors[1][:1]:
        raise RunError(
            f"{path}: calibration.series is {series[0]} {list(series[1])}; expected I64 [{errors[1][0]}]"
        )


def check_calibration(errors: np.ndarray, series: np.ndarray, count: int, path: Path) -> None:
    """Calibration errors finite or NaN (past the data); each row's series one of ``count``."""
    if np.isinf(errors).any():
        raise RunError(f"{path}: calibration.errors holds infinite values; train again")
    if len(series) and (series.min() < 0 or series.max() >= count):
        bad = int(series.min() if series.min() < 0 else series.max())
        raise RunError(
            f"{path}: calibration.series holds series index {bad}; the run has {count} series (0 to {count - 1})"
        )
