"""The model-facing steps that train and backtest share: settings resolved from the data,
covariate and calendar inputs, and fitting an ensemble on a ``Panel``. Forecasts and
calibration errors from past origins are ``workflows.origins``'.

No I/O: ``workflows.train`` and ``workflows.backtest`` call these in order and write the results.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from forecast.core.choices import Fill, Schedule, Strategy
from forecast.core.config import RunConfig, TrainConfig, WindowConfig
from forecast.core.errors import DataError, UsageError
from forecast.data import dataset, frequency
from forecast.data.panel import Panel
from forecast.model import covariates, distributed, windows
from forecast.model.missing import carried, interpolated
from forecast.model.transforms import SeriesTransform, fit_transforms, panel_step
from forecast.scoring.statistical import MIN_LENGTH

if TYPE_CHECKING:  # torch stays unimported for validate, info and plot
    from forecast.model.loop import EpochInfo

__all__ = [
    "Fitted",
    "resolve",
    "panel_of",
    "forecast_series",
    "fit_members",
    "calendar_of",
    "covariates_of",
    "exog_of",
    "default_horizon",
    "default_lookback",
    "min_errors",
]

_HORIZON_NO_SEASON = 8


# Calendar inputs only with --calendar. On really dated monthly data (bench/calendar_inputs.py:
# 6-fold backtests x 3 seeds) they never helped: MASE with vs without 1.275 vs 1.246 (alcohol),
# 0.951 vs 0.945 (El Nino), 0.765 vs 0.728 (electrical equipment), 1.092 vs 1.091 (the three as
# one panel). On M3 (invented start dates) 13.65 vs 13.59 sMAPE; an earlier 13.66 vs 13.97 was noise.
CALENDAR_DEFAULT = False


def default_horizon(season: int) -> int:
    """One seasonal period (12 for monthly), or 8 steps when there is no season."""
    return season if season > 1 else _HORIZON_NO_SEASON


def default_lookback(season: int, horizon: int) -> int:
    """Two seasonal periods (24 monthly, 14 daily, 8 quarterly), at least the horizon."""
    return max(2 * season, horizon) if season > 1 else 2 * horizon


def _lengths(ds: dataset.Dataset) -> np.ndarray:
    return np.diff(ds.indptr)


def resolve(cfg: RunConfig, ds: dataset.Dataset, parent: RunConfig | None = None) -> RunConfig:
    """Fill every setting left to its frequency-based default; check the data is long enough.

    ``parent``: the config of the run ``--init`` starts from, whose schedule is the default
    and whose budget is cut to a fine-tuning share (``WARM_SHARE``) of the default."""
    w = cfg.window
    season = w.season or ds.season
    horizon = w.horizon or default_horizon(season)
    lookback = w.lookback or default_lookback(season, horizon)
    test_size = horizon if w.test_size is None else w.test_size
    out_len = horizon if w.strategy is Strategy.many_to_many else 1
    window = dataclasses.replace(w, season=season, horizon=horizon, lookback=lookback, test_size=test_size)
    lengths = _lengths(ds)
    need = lookback + out_len + test_size
    _check_lengths(cfg, ds.path, lengths, lookback, out_len, test_size)
    if w.val_size is None:
        fits = lengths[lengths >= need]
        typical = int(np.median(fits if len(fits) else lengths)) - test_size
        window = dataclasses.replace(
            window, val_size=_default_val_size(typical, lookback, out_len, horizon, len(lengths))
        )
    if cfg.data.future_covariates and out_len > lookback:
        raise UsageError(
            f"--future-covariate needs --lookback ({lookback}) at least --horizon ({horizon}) with "
            "many-to-many: the last horizon input steps carry the forecast dates' values. Raise "
            "--lookback, lower --horizon or use --strategy many-to-one"
        )
    calendar = CALENDAR_DEFAULT if w.calendar is None else w.calendar
    calendar = calendar and season > 1
    window = dataclasses.replace(
        window,
        calendar=calendar,
        calendar_phase=frequency.season_phase(ds.anchor, ds.freq, season) if calendar else None,
    )
    n_cov = covariates.Covariates(len(cfg.data.covariates), len(cfg.data.future_covariates), out_len).features
    if w.missing_flag and cfg.data.fill is not Fill.mask:
        raise UsageError("--missing-flag reads the gaps --fill mask keeps; add --fill mask")
    inputs = 1 + int(w.missing_flag) + (windows.Calendar.FEATURES if calendar else 0) + n_cov
    model = dataclasses.replace(
        cfg.model, input_size=inputs, output_size=out_len, ahead_inputs=_ahead_inputs(cfg, out_len)
    )
    path = ds.path if ds.path == dataset.STDIN else str(Path(ds.path).resolve())  # "-": standard input
    data_cfg = dataclasses.replace(cfg.data, path=path, date_col=ds.date_col, freq=ds.freq, id_col=ds.id_col)
    if not ds.wide:
        data_cfg = dataclasses.replace(data_cfg, value_col=ds.value_col)
    return RunConfig(data=data_cfg, window=window, model=model, train=_budget(cfg, lengths, window, parent))


def _check_lengths(
    cfg: RunConfig, path: str, lengths: np.ndarray, lookback: int, out_len: int, test_size: int
) -> None:
    """DataError unless some series is long enough: for the network (lookback + output +
    hold-out), or with a statistical candidate and the default lookback, for Theta and ETS
    (an explicit --lookback too long for every series stays an error)."""
    need = lookback + out_len + test_size
    stats = any(c != "model" for c in cfg.train.candidates) and cfg.window.lookback is None
    floor = min(test_size + MIN_LENGTH + 1, need) if stats else need
    if (lengths >= floor).any():
        return
    formula = "lookback + horizon" if out_len > 1 else "lookback + 1"
    what = (
        f"the series has {lengths[0]} rows"
        if len(lengths) == 1
        else f"the longest series has {lengths.max()} rows"
    )
    raise DataError(
        f"{path}: {what}; need at least {formula} + test-size = {lookback} + {out_len} + "
        f"{test_size} = {need} for the network"
        + (f", {floor} for Theta or ETS" if floor < need else "")
        + ". Lower --lookback, --horizon or --test-size"
    )


def _budget(cfg: RunConfig, lengths: np.ndarray, w: WindowConfig, parent: RunConfig | None) -> TrainConfig:
    """The schedule (the parent's with --init, else one-cycle) and the epochs it runs; the run
    records both."""
    schedule = cfg.train.schedule or (parent.train.schedule if parent else None) or Schedule.onecycle
    cfg = dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, schedule=schedule))
    epochs = cfg.train.epochs or _default_epochs(cfg, lengths, w)
    if parent is not None and not cfg.train.epochs:  # fine-tuning: a share of a fresh run's budget
        epochs = max(1, round(WARM_SHARE * epochs))
    return dataclasses.replace(cfg.train, epochs=epochs)


# The one-cycle default is EPOCHS[onecycle] (10) epochs, but at most this many training windows
# in all: M3 monthly (41,000 an epoch) trains 4, single series and small panels 10. Full M3
# monthly, 3 seeds, sMAPE / MASE: 4 epochs 14.06 / 0.882 in 45 s, 7 epochs 14.04 / 0.884 in 90 s.
MAX_WINDOWS = 175_000
# A warm continuation (the one-cycle refit, or --init's fine-tuning) trains this share of the budget.
WARM_SHARE = 0.3


def _default_epochs(cfg: RunConfig, lengths: np.ndarray, w: WindowConfig) -> int:
    """--epochs left to its default: plateau's maximum, or the one-cycle budget capped at
    ``MAX_WINDOWS`` windows (the hold-out phase's training windows per epoch decide)."""
    if cfg.train.schedule is not Schedule.onecycle:
        return cfg.train.budget
    assert w.lookback and w.horizon and w.test_size is not None
    out_len = w.horizon if w.strategy is Strategy.many_to_many else 1
    cut = np.maximum(lengths - w.test_size, 0)
    train_idx, _ = windows.split_panel(cut, w.lookback + out_len, out_len, w.val_size or 0)
    per_epoch = max(min(len(train_idx), cfg.train.windows_per_epoch), 1)
    return max(1, min(cfg.train.budget, MAX_WINDOWS // per_epoch))


def masked(cfg: RunConfig) -> bool:
    """A ``--fill mask`` run: series keep NaN; the network reads carried and bridged values
    (``model.missing``)."""
    return cfg.data.fill is Fill.mask


def _ahead_inputs(cfg: RunConfig, out_len: int) -> int:
    """Known-ahead covariates read by the head as well (``networks.Forecaster``): many-to-many only.

    Measured on a promotion-driven series (3 seeds, hold-out MASE): many-to-many 0.41 with
    the head's view vs 0.84 without; many-to-one 0.59 vs 0.38, since its last input step
    already holds the next date's value."""
    return len(cfg.data.future_covariates) if out_len > 1 else 0


def calendar_of(cfg: RunConfig) -> windows.Calendar | None:
    """The calendar inputs of a resolved config (None when off or for runs from before them)."""
    w = cfg.window
    if not w.calendar or not w.season:
        return None
    return windows.Calendar(w.season, w.calendar_phase or 0)


def covariates_of(cfg: RunConfig) -> covariates.Covariates | None:
    """The covariate inputs of a resolved config (None without covariates)."""
    d = cfg.data
    if not d.covariates and not d.future_covariates:
        return None
    return covariates.Covariates(len(d.covariates), len(d.future_covariates), cfg.model.output_size)


def exog_of(
    cfg: RunConfig,
    raw: list[np.ndarray] | None,
    observed: list[int],
    scales: list[covariates.CovariateScale],
    horizon: int,
) -> list[np.ndarray] | None:
    """Covariate features of each series: its history of ``observed[k]`` rows (``raw[k]`` may run
    further: known-ahead values) plus the rows a roll-forward of ``horizon`` steps reads."""
    spec = covariates_of(cfg)
    if spec is None or raw is None:
        return None
    extra = covariates.roll_extra(horizon, spec.lead)
    return [covariates.features(r, n, s, spec, extra) for r, n, s in zip(raw, observed, scales)]


CALIBRATION_ERRORS = 20  # errors per horizon step the default validation aims at: 95% needs 19


def min_errors(level: int) -> int:
    """Calibration errors a ``level``% split-conformal interval needs: L / (100 - L), rounded up."""
    return math.ceil(level / (100 - level))


def _default_val_size(n_train: int, lookback: int, out_len: int, horizon: int, n_series: int) -> int:
    """Validation targets per series: enough origins for ``CALIBRATION_ERRORS`` errors at the
    last horizon step over the panel (so 80% and 95% intervals exist), at least two horizons
    for one series (one in a panel); less where the series cannot spare it, or none."""
    enough = horizon - 1 + math.ceil(CALIBRATION_ERRORS / max(n_series, 1))
    first = max(2 * horizon if n_series == 1 else horizon, enough)
    choices = (first, 2 * horizon, horizon, out_len) if n_series == 1 else (first, horizon, out_len)
    for val in choices:
        if val >= out_len and n_train - val - lookback - out_len + 1 >= max(8, val - out_len + 1) / n_series:
            return val
    return 0


@dataclass
class Fitted:
    """An ensemble fitted on a panel: its members, and per series of that panel (``index``,
    the Dataset's series numbers) the transform and covariate scales."""

    models: list[Any]
    transforms: list[SeriesTransform]
    best_epochs: list[int]
    epochs_run: int
    seconds: float
    history: list[tuple[str, int, int, float, float | None]]
    warnings: list[str]
    index: np.ndarray  # the series fitted on, numbered as in the Dataset
    scales: list[covariates.CovariateScale] = field(default_factory=list)  # per series, with covariates
    step: float | None = None  # transforms.panel_step: the scale step of negative-valued series
    batch_size: int = 0  # the global batch its members trained with

    def members(self, index: np.ndarray) -> list[int]:
        """Where the Dataset's series ``index`` sit among the fitted ones (each must be one)."""
        where = {int(k): i for i, k in enumerate(self.index)}
        return [where[int(k)] for k in index]


def fit_members(
    cfg: RunConfig,
    panel: Panel,
    stage: str,
    on_epoch: Callable[[str, EpochInfo], None] | None,
    epochs: list[int] | None = None,
    ctx: distributed.Context = distributed.SINGLE,
    warm: Fitted | None = None,
) -> Fitted:
    """Fit the transforms, then one model per ensemble member (seed, seed + 1, ...), on every
    value of ``panel`` (and its covariates over those rows).

    ``epochs[k]``: train member k exactly that long, without validation (a refit). ``warm``:
    each member continues from a copy of that fit's member k instead of new weights.
    Under torchrun every process fits every member together (DDP, same seeds)."""
    from forecast.model.loop import fit, seed_everything
    from forecast.model.networks import build_model

    w = cfg.window
    assert w.lookback and w.season
    positions = list(panel.positions)
    transforms, warnings, z, targets, step = _model_space(cfg, panel)
    out_len = cfg.model.output_size
    spec = covariates_of(cfg)
    covs = panel.observed_covariates()
    scales = covariates.fit_scales(covs) if spec and covs is not None else []
    exog = None
    if spec and covs is not None:
        exog = [covariates.features(c, len(c), sc, spec) for c, sc in zip(covs, scales)]
    level_len, flag = transforms[0].level_len, w.missing_flag
    ws = windows.make_panel(
        z, w.lookback, out_len, level_len, positions, calendar_of(cfg), exog, targets, flag
    )
    val_size = 0 if epochs else (w.val_size or 0)
    train_idx, val_idx = windows.split_panel(panel.lengths, w.lookback + out_len, out_len, val_size)
    if not epochs and not len(val_idx) and cfg.train.schedule is not Schedule.onecycle:
        warnings.append("too short for a validation split: trained all epochs, no early stopping")
    fitted = Fitted([], transforms, [], 0, 0.0, [], warnings, panel.index, scales, step)
    for k in range(cfg.train.ensemble):
        rng = seed_everything(cfg.train.seed + k)
        model = build_model(cfg.model) if warm is None else copy.deepcopy(warm.models[k])
        label = stage if cfg.train.ensemble == 1 else f"{stage} {k + 1}/{cfg.train.ensemble}"
        callback = (lambda info, label=label: on_epoch(label, info)) if on_epoch else None
        n_epochs = epochs[k] if epochs else None
        result = fit(
            model, ws, train_idx, val_idx, cfg.train, rng, n_epochs, callback, ctx, warm=warm is not None
        )
        fitted.models.append(model)
        fitted.best_epochs.append(result.best_epoch)
        fitted.batch_size = result.batch_size
        fitted.epochs_run = max(fitted.epochs_run, result.epochs_run)
        fitted.seconds += result.seconds
        fitted.history += [(stage, k, *row) for row in result.history]
    return fitted


def _model_space(cfg: RunConfig, panel: Panel) -> tuple[Any, ...]:
    """Each series' fitted transform, warnings, the model-space values the network reads, for a
    masked run its targets with NaN where values are missing (``model.missing``), and the
    panel's negative-value step (``transforms.panel_step``)."""
    w = cfg.window
    assert w.lookback and w.season
    series, positions = list(panel.values), list(panel.positions)
    fitted_on = [interpolated(y) for y in series]  # --fill mask: NaN kept (the series itself otherwise)
    seen = [np.isfinite(y) for y in series] if masked(cfg) else None
    transforms, warnings = fit_transforms(
        fitted_on, positions, w.scaler, w.deseason, w.season, w.lookback, seen
    )
    targets = [t.forward(y, p) for t, y, p in zip(transforms, series, positions)]
    z = [carried(v) for v in targets]  # what the network reads
    return transforms, warnings, z, targets if masked(cfg) else None, panel_step(fitted_on, w.scaler)


def forecast_series(
    cfg: RunConfig,
    models: list[Any],
    transforms: list[SeriesTransform],
    histories: list[np.ndarray],
    firsts: list[int],
    horizon: int,
    offsets: np.ndarray,
    exog: list[np.ndarray] | None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """``rollforward.forecast_panel`` with the run's lookback, calendar and gap handling: raw
    forecasts (series, horizon) and interval bounds, as the hold-out, backtest and predict make them."""
    from forecast.model.rollforward import forecast_panel

    w = cfg.window
    assert w.lookback
    return forecast_panel(
        models, transforms, histories, firsts, w.lookback, horizon, offsets, calendar_of(cfg), exog,
        masked(cfg), w.missing_flag,
    )  # fmt: skip


def panel_of(cfg: RunConfig, ds: dataset.Dataset) -> Panel:
    """Every series of ``ds`` as a Panel, with its covariates when the config names any."""
    return Panel.of(ds, covariates=covariates_of(cfg) is not None)
