"""The ``Dataset`` value: a CSV or Parquet file read into a validated long frame (``unique_id``,
``ds``, ``y``, covariates) on one regular grid (``read``), and ``read_future`` for predict's
``--future`` rows. Which column is which is ``columns``'s business; the grid is ``grid``'s.

Every problem raises ``DataError`` naming the file, the column and the first bad line or
date, with the flag that fixes it. Line numbers are the file's own (the header is line 1).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.core.config import DataConfig
from forecast.core.errors import DataError
from forecast.data import frequency, grid
from forecast.data.cells import (
    check_zone,
    is_text,
    parse_dates,
    parse_values,
)
from forecast.data.columns import guess_id_col, pick_covariates, pick_date_col, pick_id_col, pick_value_cols
from forecast.data.tables import read_table

__all__ = ["Dataset", "Rows", "read", "read_rows", "read_future", "file_sha256", "covariate_columns"]


@dataclass
class Dataset:
    """Validated series: the long frame plus what was learnt while reading it."""

    frame: pd.DataFrame  # unique_id, ds, y; sorted by series then date; one regular grid each
    freq: str
    season: int
    date_col: str
    value_col: str  # the value column (long format) or a label for the wide columns
    id_col: str | None
    wide: bool
    path: str
    sha256: str
    anchor: pd.Timestamp  # the earliest date: grid position 0
    positions: np.ndarray  # per row: steps since ``anchor``
    ids: np.ndarray  # series ids in frame order
    indptr: np.ndarray  # rows of series k are indptr[k]:indptr[k + 1]
    warnings: list[str] = field(default_factory=list)
    covariate_cols: tuple[str, ...] = ()  # past-observed columns first, then those known ahead
    zone: str | None = None  # zone-aware dates read as "wall" clock or "utc" time (cells.parse_dates)
    offsets: tuple[int, ...] = ()  # the UTC offsets (minutes) zone-aware dates were written with
    dayfirst: bool | None = None  # nn/nn/yyyy dates read day first (True), month first; None: no such dates

    @property
    def covariates(self) -> np.ndarray:
        """(rows, covariates) float64 aligned with ``frame``; (rows, 0) when there are none."""
        cols = covariate_columns(len(self.covariate_cols))
        if not cols:
            return np.empty((len(self.frame), 0))
        return self.frame[cols].to_numpy(dtype=np.float64)

    @property
    def panel(self) -> bool:
        """Read as several series (--id-col or --wide): outputs carry a series column."""
        return self.id_col is not None or self.wide

    @property
    def values(self) -> np.ndarray:
        return self.frame["y"].to_numpy(dtype=np.float64)

    @property
    def dates(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(self.frame["ds"])

    def rows(self, k: int) -> slice:
        """Row slice of series ``k``."""
        return slice(int(self.indptr[k]), int(self.indptr[k + 1]))


def covariate_columns(count: int) -> list[str]:
    """Internal frame columns of the covariates, in the order they were named."""
    return [f"_x{i}" for i in range(count)]


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


STDIN = "-"  # the data path that means standard input (staged to a file by the CLI)


def source_file(cfg: DataConfig) -> tuple[Path, str]:
    """The file to read and the name errors give it: standard input ("-") is read from the
    file the CLI staged it to, and called ``<stdin>``."""
    if cfg.path != STDIN:
        return Path(cfg.path), cfg.path
    if cfg.staged is None:
        raise DataError("<stdin>: standard input was not staged to a file; give a file path")
    return Path(cfg.staged), "<stdin>"


@dataclass
class Rows:
    """Parsed rows (unique_id, ds, y, _line) before any grid check, and where they came from."""

    frame: pd.DataFrame
    date_col: str
    value_col: str
    id_col: str | None
    panel: bool
    covariate_cols: tuple[str, ...] = ()
    zone: str | None = None
    offsets: tuple[int, ...] = ()
    id_hint: str | None = None  # the column that likely names the series, when no --id-col
    dayfirst: bool | None = None


def read_rows(cfg: DataConfig, zone: str | None = None) -> Rows:
    """Parse ``cfg.path`` into rows: columns found, dates and numbers parsed, nothing else checked."""
    path, name = source_file(cfg)
    with warnings.catch_warnings():  # pandas' parsing chatter
        warnings.simplefilter("ignore")
        raw = read_table(path)
        date_col = pick_date_col(raw, cfg, name)
        id_col = pick_id_col(raw, cfg, name, date_col)
        covariates = pick_covariates(raw, cfg, name, date_col, id_col)
        extra = {
            col: parse_values(raw.pop(c), name, c, cfg.thousands, True, cfg.decimal)
            for col, c in zip(covariate_columns(len(covariates)), covariates)
        }
        value_cols = pick_value_cols(raw, cfg, name, date_col, id_col)
        hint = None if id_col or cfg.wide else guess_id_col(raw, (date_col, *value_cols))
        dates = parse_dates(raw.pop(date_col), name, date_col, zone, cfg.dayfirst)  # popped: freed early
        zone, offsets = dates.attrs.get("zone"), dates.attrs.get("offsets", ())
        rows = _long_rows(raw, dates, value_cols, id_col, cfg, name, extra)
    label = value_cols[0] if len(value_cols) == 1 else "(wide columns)"
    panel = id_col is not None or cfg.wide
    return Rows(
        rows, date_col, label, id_col, panel, covariates, zone, offsets, hint, dates.attrs["dayfirst"]
    )


def read(cfg: DataConfig, zone: str | None = None) -> Dataset:
    """Read and validate ``cfg.path``: one series, a long panel (--id-col) or wide columns (--wide).

    ``zone`` reads zone-aware dates as a run's training data were read ("wall" or "utc")."""
    path, name = source_file(cfg)
    parsed = read_rows(cfg, zone)
    date_col, label, id_col = parsed.date_col, parsed.value_col, parsed.id_col
    with warnings.catch_warnings(), month_first_hint(parsed, cfg):
        warnings.simplefilter("ignore")
        reg = grid.regularise(
            parsed.frame,
            cfg.freq,
            cfg.fill,
            name,
            (date_col, label),
            parsed.panel,
            parsed.covariate_cols,
            id_hint=parsed.id_hint,
        )
    codes = reg.frame["unique_id"].cat.codes.to_numpy()
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    ids = np.asarray(reg.frame["unique_id"].cat.categories, dtype=object)[codes[starts]]
    return Dataset(
        frame=reg.frame.reset_index(drop=True),
        freq=reg.freq,
        season=frequency.season_length(reg.freq),
        date_col=date_col,
        value_col=label,
        id_col=id_col,
        wide=cfg.wide and cfg.value_col is None,
        path=cfg.path,  # as given: "-" for standard input
        sha256=file_sha256(path),
        anchor=reg.anchor,
        positions=reg.positions,
        ids=ids,
        indptr=np.r_[starts, len(codes)].astype(np.int64),
        warnings=reg.notes,
        covariate_cols=parsed.covariate_cols,
        zone=parsed.zone,
        offsets=parsed.offsets,
        dayfirst=parsed.dayfirst,
    )


@contextlib.contextmanager
def month_first_hint(rows: Rows, cfg: DataConfig) -> Iterator[None]:
    """A grid error on nn/nn/yyyy dates read month first only because no day was over 12
    (01/02/2012 ... 01/12/2012, 01/01/2013) gets the hint that they may be day first."""
    try:
        yield
    except DataError as exc:
        if rows.dayfirst is False and cfg.dayfirst is None:
            raise DataError(
                f"{exc}; the dates (nn/nn/yyyy, no number over 12) were read month first: "
                "if the day comes first, use --dayfirst"
            ) from None
        raise


def read_future(path: str, cfg: DataConfig, columns: tuple[str, ...], ds: Dataset) -> pd.DataFrame:
    """Known-ahead covariate values (``predict --future``): rows ``unique_id`` (None without an
    id column: the rows hold for every series), ``ds``, ``_line`` and ``columns``, in file order.

    The date column is the run's when the file has it; the id column must be the run's.
    Zone-aware dates are read the way the data file's (``ds``) were, and must be written alike.
    """
    name = str(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = read_table(Path(path))
        if cfg.date_col in raw.columns:
            date_col = str(cfg.date_col)
        else:
            date_col = pick_date_col(raw, DataConfig(path=name), name)
        for col, flag in [*((c, "--future-covariate") for c in columns), (cfg.id_col, "the run's --id-col")]:
            if col is not None and col not in raw.columns:
                raise DataError(f"{name}: no column '{col}' ({flag}); columns are {list(raw.columns)}")
        out = pd.DataFrame(
            {
                "unique_id": _series_ids(raw[cfg.id_col], name, cfg.id_col) if cfg.id_col else None,
                "ds": _future_dates(raw[date_col], name, date_col, ds),
                "_line": raw.index.to_numpy(),
            }
        )
        for col in columns:
            out[col] = parse_values(raw[col], name, col, cfg.thousands, True, cfg.decimal)
    return out


def _future_dates(col: pd.Series, name: str, date_col: str, ds: Dataset) -> np.ndarray:
    dates = parse_dates(col, name, date_col, ds.zone, ds.dayfirst)
    check_zone(name, dates.attrs.get("zone"), dates.attrs.get("offsets", ()), ds.zone, ds.offsets, ds.path)
    return dates.to_numpy()


def _long_rows(
    raw: pd.DataFrame,
    dates: pd.Series,
    value_cols: list[str],
    id_col: str | None,
    cfg: DataConfig,
    name: str,
    extra: dict[str, np.ndarray],
) -> pd.DataFrame:
    """Rows (unique_id, ds, y, _line, covariates) in file order; wide columns are trimmed of
    their empty ends, and each wide series gets the covariates of its own rows.

    ``unique_id`` is categorical with sorted categories: a million-row panel holds one string
    per series, and sorting or comparing ids works on integer codes.
    """
    lines = raw.index.to_numpy()
    if len(value_cols) == 1:
        y = parse_values(
            raw.pop(value_cols[0]), name, value_cols[0], cfg.thousands, False, cfg.decimal
        )  # freed early
        if id_col is None:
            uid = pd.Categorical.from_codes(np.zeros(len(raw), dtype=np.int8), [value_cols[0]])
        else:
            uid = _series_ids(raw[id_col], name, id_col)
        return pd.DataFrame({"unique_id": uid, "ds": dates.to_numpy(), "y": y, "_line": lines, **extra})
    parts = []
    order = np.argsort(dates.to_numpy(), kind="stable")
    kinds = pd.CategoricalDtype(sorted(value_cols))
    for col in value_cols:
        y = parse_values(raw[col], name, col, cfg.thousands, True, cfg.decimal)
        present = np.flatnonzero(~np.isnan(y[order]))  # a column may start late or end early
        if not len(present):
            raise DataError(
                f"{name}: column '{col}' has no values; drop it or name the others with --value-col"
            )
        keep = order[present[0] : present[-1] + 1]
        uid = pd.Categorical([col] * len(keep), dtype=kinds)
        parts.append(
            pd.DataFrame(
                {
                    "unique_id": uid,
                    "ds": dates.to_numpy()[keep],
                    "y": y[keep],
                    "_line": lines[keep],
                    **{c: v[keep] for c, v in extra.items()},
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _series_ids(col: pd.Series, name: str, id_col: str) -> pd.Categorical:
    """Series ids as a categorical (sorted text categories); empty ids refused."""
    if not is_text(col):  # typed ids (Parquet): each distinct value turned to text once
        codes, uniques = pd.factorize(col, sort=True, use_na_sentinel=True)
        if (codes < 0).any():
            raise DataError(
                f"{name}: empty series id in column '{id_col}' at line {col.index[int((codes < 0).argmax())]}"
            )
        text = pd.Index([str(u) for u in uniques])
        if text.has_duplicates:
            raise DataError(f"{name}: series ids in column '{id_col}' collide when read as text")
        order = np.argsort(np.asarray(text, dtype=object))
        remap = np.empty(len(order), dtype=np.int64)
        remap[order] = np.arange(len(order))
        return pd.Categorical.from_codes(remap[codes], text[order])
    raw_codes, raw_ids = pd.factorize(col)  # each distinct id stripped once, then merged
    stripped = pd.Series(np.asarray(raw_ids, dtype=object), dtype=col.dtype).str.strip()
    merged, uniques = pd.factorize(stripped, sort=True)
    codes = merged[raw_codes]
    empty = np.flatnonzero(np.asarray(uniques, dtype=object) == "")
    if len(empty):
        i = int((codes == empty[0]).argmax())
        raise DataError(f"{name}: empty series id in column '{id_col}' at line {col.index[i]}")
    return pd.Categorical.from_codes(codes, pd.Index(np.asarray(uniques, dtype=object)))
