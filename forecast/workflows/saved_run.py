"""A saved run rebuilt for forecasting: ``load_run`` reads a run directory through
``runs.run``, checks every value (``runs.check``) and rebuilds its networks from config.json
and the safetensors weights, as the ``LoadedRun`` that ``workflows.predict`` forecasts with.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from forecast.core.config import RunConfig
from forecast.core.errors import RunError
from forecast.model import covariates
from forecast.model.transforms import SeriesTransform, transforms_from_dict
from forecast.runs import check, files
from forecast.runs import run as runformat
from forecast.workflows.fitting import covariates_of

__all__ = ["LoadedRun", "load_run"]


@dataclass
class LoadedRun:
    """A validated run directory with its models ready to forecast."""

    path: Path
    config: RunConfig
    meta: dict[str, Any]
    ids: list[str]
    methods: list[str]
    network: list[bool]  # the network was fitted on the series (it may still have chosen another method)
    transforms: list[SeriesTransform]
    models: list[Any]  # forecast.model.networks.Forecaster, one per ensemble member
    errors: np.ndarray  # calibration errors (n, horizon) in model space
    error_series: np.ndarray  # the series index of each row of ``errors``
    scales: list[covariates.CovariateScale] = field(default_factory=list)  # runs with covariates
    ranges: tuple[list[float], list[float]] | None = None  # each covariate's min and max in training
    log_step: float | None = None  # transforms.panel_step of the final fit (None before it was kept)


def _check_network(
    cfg: RunConfig, meta: dict[str, Any], methods: list[str], network: list[bool], path: Path
) -> None:
    """series.json may name the network for a series only where the run trained one that can
    read it (a run of the safety net alone trains none: ``workflows.train``)."""
    out_len, rows = cfg.model.output_size, meta["data"]["rows"]
    if any(m == "model" and not n for m, n in zip(methods, network)):
        raise RunError(
            f"{path / files.SERIES}: names the network for a series it was not trained on; train again"
        )
    if any(network) and (cfg.window.lookback or 0) + out_len > rows:
        raise RunError(
            f"{path}: settings.window.lookback {cfg.window.lookback} + output {out_len} is more than the "
            f"{rows} rows the run was trained on (data.rows)"
        )
    if any(network) and (meta.get("training") or {}).get("epochs_run") == 0:
        raise RunError(
            f"{path / files.SERIES}: says the network forecasts some series, but the run trained none; train again"
        )


def load_run(run: Path) -> LoadedRun:
    """Validate a run directory and rebuild its models from config.json + safetensors.

    Every value is checked (``runs.check``) before it sizes anything: the settings against each
    other, series.json against them, the weights' header against the network they describe."""
    found = runformat.read(run)
    path, cfg, meta = found.path, found.config, found.meta
    series = runformat.read_series(found)
    ids, methods, network = series["ids"], series["method"], series["network"]
    transforms = transforms_from_dict(series["transform"], len(ids))
    check.check_series(ids, transforms, cfg, meta["data"], path / files.SERIES)
    _check_network(cfg, meta, methods, network, path)
    scales, ranges = [], None
    if covariates_of(cfg):
        width = len(cfg.data.covariates) + len(cfg.data.future_covariates)
        scales = covariates.scales_from_dict(series.get("covariate_scale"), len(ids), width)
        ranges = _ranges(series.get("covariate_range"), width)
    weights_path = path / files.WEIGHTS
    state = runformat.load_state(found)  # the header against config.json before loading or building
    from forecast.model.networks import build_model

    errors = state.pop("calibration.errors").numpy()
    error_series = state.pop("calibration.series").numpy()
    check.check_calibration(errors, error_series, len(ids), weights_path)
    models = []
    for k in range(cfg.train.ensemble):
        model = build_model(cfg.model)
        member = {name[len(f"{k}.") :]: v for name, v in state.items() if name.startswith(f"{k}.")}
        try:
            model.load_state_dict(member, strict=True)
        except RuntimeError as exc:
            first = str(exc).strip().splitlines()[0]
            raise RunError(f"{path}: weights do not fit the model in config.json ({first})") from None
        models.append(model.eval())
    return LoadedRun(
        path,
        cfg,
        meta,
        ids,
        methods,
        network,
        transforms,
        models,
        errors,
        error_series.astype(np.int64),
        scales,
        ranges,
        _step(series.get("log_step")),
    )


def _ranges(raw: Any, width: int) -> tuple[list[float], list[float]] | None:
    """The training range of each covariate from series.json (None for runs without it)."""
    try:
        low, high = [float(v) for v in raw["min"]], [float(v) for v in raw["max"]]
    except (KeyError, TypeError, ValueError):
        return None
    return (low, high) if len(low) == len(high) == width else None


def _step(raw: Any) -> float | None:
    """series.json's log_step: a positive finite number, else None (also for older runs)."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        return None
    return float(raw) if math.isfinite(raw) and raw > 0 else None
