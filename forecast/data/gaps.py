"""A series' grid made complete: every date from its first to its last, with the gaps and
empty cells refused (``--fill none``, naming the first), repaired (``ffill``, ``interpolate``,
``zero``) or, for the target, kept missing (``mask``: covariates, being inputs, are ffilled).
Used by ``data.grid.regularise``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.core.choices import Fill
from forecast.core.errors import DataError
from forecast.data.dates import fmt_date

__all__ = ["complete", "series_label"]


def series_label(uid: object, panel: bool) -> str:
    return f"series '{uid}': " if panel else ""


def complete(
    rows: pd.DataFrame,
    starts: np.ndarray,
    ends: np.ndarray,
    freq: str,
    anchor: pd.Timestamp,
    fill: Fill,
    name: str,
    numeric: dict[str, str],
    panel: bool,
    notes: list[str],
) -> pd.DataFrame:
    """Every series made gap-free from its first to its last date; NaN refused or filled.

    ``numeric`` maps the frame's number columns (``y`` and covariates) to their file names."""
    pos = rows["_pos"].to_numpy()
    lengths = pos[ends - 1] - pos[starts] + 1
    gaps = int(lengths.sum()) - len(rows)
    if fill is Fill.none:
        _refuse_gaps(rows, pos, starts, gaps, freq, name, panel)
        _refuse_nan(rows, numeric, name, panel)
        return rows
    if not gaps and not any(rows[col].isna().any() for col in numeric):
        return rows
    full, slot = _full_grid(rows, pos, starts, ends, lengths, freq, anchor)
    repaired, masked = 0, 0
    for col, label in numeric.items():
        values = np.full(len(full), np.nan)
        values[slot] = rows[col].to_numpy()
        missing = int(np.isnan(values).sum())
        if fill is Fill.mask and col == "y":  # the target stays missing; covariates are inputs: ffill
            full[col], masked = values, missing
            observed = pd.Series(np.isfinite(values)).groupby(full["unique_id"].to_numpy(), sort=False).any()
            if not observed.all():
                bad = observed.index[~observed.to_numpy()][0]
                raise DataError(
                    f"{name}: {series_label(bad, panel)}holds no finite number in column '{label}'"
                )
            continue
        repaired += missing
        full[col] = _fill(full.assign(_v=values), Fill.ffill if fill is Fill.mask else fill)
        if full[col].isna().any():
            bad = full.loc[full[col].isna(), "unique_id"].iloc[0]
            raise DataError(f"{name}: {series_label(bad, panel)}holds no finite number in column '{label}'")
    if fill is Fill.mask:  # a series starts at its first value, as in wide files: no leading gap
        started = (
            pd.Series(np.isfinite(full["y"].to_numpy()))
            .groupby(full["unique_id"].to_numpy(), sort=False)
            .cummax()
        )
        full = full[started.to_numpy()].reset_index(drop=True)
        masked = int(full["y"].isna().sum())
    if masked:
        notes.append(f"{name}: masked {masked} missing value(s) with --fill mask")
    if repaired:
        how = "ffill (covariates, --fill mask)" if fill is Fill.mask else fill.value
        notes.append(f"{name}: filled {repaired} missing value(s) with --fill {how}")
    return full


def _refuse_gaps(
    rows: pd.DataFrame, pos: np.ndarray, starts: np.ndarray, gaps: int, freq: str, name: str, panel: bool
) -> None:
    """Without ``--fill``, a missing date inside a series is an error naming the first one."""
    if not gaps:
        return
    steps = np.diff(pos)
    jump = np.flatnonzero((steps > 1) & np.isin(np.arange(1, len(pos)), starts, invert=True))
    i = int(jump[0])
    missing = pd.date_range(rows["ds"].iloc[i], periods=2, freq=freq)[1]
    raise DataError(
        f"{name}: {series_label(rows['unique_id'].iloc[i], panel)}gap in the {freq} series: "
        f"{gaps} missing date(s), first {fmt_date(missing)}; fill with --fill ffill|interpolate|zero, or keep them missing with --fill mask"
    )


def _refuse_nan(rows: pd.DataFrame, numeric: dict[str, str], name: str, panel: bool) -> None:
    """Without ``--fill``, an empty or NaN cell is an error naming its line."""
    for col, label in numeric.items():
        nan = rows[col].isna().to_numpy()
        if nan.any():
            i = int(nan.argmax())
            raise DataError(
                f"{name}: {series_label(rows['unique_id'].iloc[i], panel)}empty or NaN value in column "
                f"'{label}' at line {rows['_line'].iloc[i]} (date {fmt_date(rows['ds'].iloc[i])}); "
                "fill with --fill ffill|interpolate|zero, or keep them missing with --fill mask"
            )


def _full_grid(
    rows: pd.DataFrame,
    pos: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    lengths: np.ndarray,
    freq: str,
    anchor: pd.Timestamp,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Each series on its full grid from its first to its last date (``unique_id``, ``ds``,
    ``_pos``), and the slot there of every row of ``rows``."""
    first = pos[starts]
    full_len = int(lengths.sum())
    sid = np.repeat(np.arange(len(starts)), lengths)
    full_pos = (
        np.arange(full_len) - np.repeat(np.cumsum(lengths) - lengths, lengths) + np.repeat(first, lengths)
    )
    slot = np.repeat(np.cumsum(lengths) - lengths, ends - starts) + (pos - np.repeat(first, ends - starts))
    uid = rows["unique_id"]
    ids = pd.Categorical.from_codes(uid.cat.codes.to_numpy()[starts][sid], uid.cat.categories)
    grid = pd.date_range(anchor, periods=int(full_pos.max()) + 1, freq=freq)
    return pd.DataFrame({"unique_id": ids, "ds": grid[full_pos], "_pos": full_pos}), slot


def _fill(full: pd.DataFrame, fill: Fill) -> pd.Series:
    """Fill NaN in column ``_v`` within each series: forward then backward, linear, or zero."""
    if fill is Fill.zero:
        return full["_v"].fillna(0.0)
    groups = full.groupby("unique_id", sort=False)["_v"]
    if fill is Fill.ffill:
        out = groups.ffill()
        return out.fillna(out.groupby(full["unique_id"], sort=False).bfill())
    return groups.transform(lambda s: s.interpolate(method="linear", limit_direction="both"))
