"""Which column is which: the date, series id, value and covariate columns of a table, as
named by the options (checked to exist and not to clash) or guessed from names and contents
(``date``, ``unique_id``, a numeric column...), each failure a ``DataError`` naming the flag.
"""

from __future__ import annotations

import pandas as pd

from forecast.core.config import DataConfig
from forecast.core.errors import DataError
from forecast.data.cells import MISSING, is_number, is_text, numeric_text

__all__ = ["pick_date_col", "pick_id_col", "pick_covariates", "pick_value_cols", "guess_id_col"]

_DATE_NAMES = ("date", "ds", "timestamp", "time", "datetime", "period", "month", "year")
# names of series id columns (Nixtla's unique_id first): never a value column, the --id-col hint
_ID_NAMES = ("unique_id", "series", "series_id", "id", "item", "item_id", "store", "store_id", "sku", "key")


def pick_date_col(raw: pd.DataFrame, cfg: DataConfig, name: str) -> str:
    """--date-col, else a column named like a date, else the first whose cells read as dates."""
    cols = list(raw.columns)
    if cfg.date_col is not None:
        if cfg.date_col not in cols:
            raise DataError(f"{name}: no column '{cfg.date_col}' (--date-col); columns are {cols}")
        if cfg.date_col == cfg.value_col:
            raise DataError(f"{name}: column '{cfg.date_col}' is both --date-col and --value-col; pick two")
        return cfg.date_col
    for col in cols:
        if col.lower() in _DATE_NAMES and col != cfg.value_col:
            return col
    for col in cols:
        sample = raw[col].head(50)
        if pd.api.types.is_datetime64_any_dtype(sample.dtype) and col != cfg.value_col:
            return col  # a typed date column (Parquet)
        if col == cfg.value_col or not is_text(sample) or _looks_numeric(sample):
            continue
        try:
            parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
        except (ValueError, TypeError, OverflowError):
            continue
        if parsed.notna().all():
            return col
    raise DataError(f"{name}: no date column found among {cols}; name it with --date-col")


def _looks_numeric(col: pd.Series) -> bool:
    if not is_text(col):
        return is_number(col)
    return bool(pd.to_numeric(col.str.replace(",", "", regex=False), errors="coerce").notna().all())


def pick_id_col(raw: pd.DataFrame, cfg: DataConfig, name: str, date_col: str) -> str | None:
    """--id-col, checked to exist and to be neither the date nor the value column; else None."""
    if cfg.id_col is None:
        return None
    if cfg.id_col not in raw.columns:
        raise DataError(f"{name}: no column '{cfg.id_col}' (--id-col); columns are {list(raw.columns)}")
    if cfg.id_col in (date_col, cfg.value_col):
        raise DataError(f"{name}: column '{cfg.id_col}' cannot be both --id-col and the date or value column")
    return cfg.id_col


def pick_covariates(
    raw: pd.DataFrame, cfg: DataConfig, name: str, date_col: str, id_col: str | None
) -> tuple[str, ...]:
    """The covariate columns, checked to exist: past-observed ones first, then those known ahead."""
    names = (*cfg.covariates, *cfg.future_covariates)
    for col in names:
        flag = "--covariate" if col in cfg.covariates else "--future-covariate"
        if col not in raw.columns:
            raise DataError(f"{name}: no column '{col}' ({flag}); columns are {list(raw.columns)}")
        if col in (date_col, id_col, cfg.value_col):
            raise DataError(f"{name}: column '{col}' ({flag}) is also the date, id or value column")
    return names


def pick_value_cols(
    raw: pd.DataFrame, cfg: DataConfig, name: str, date_col: str, id_col: str | None
) -> list[str]:
    """--value-col, else the one numeric column left (all of them with --wide)."""
    cols = list(raw.columns)
    if cfg.value_col is not None:
        if cfg.value_col not in cols:
            raise DataError(f"{name}: no column '{cfg.value_col}' (--value-col); columns are {cols}")
        return [cfg.value_col]
    others = [c for c in cols if c not in (date_col, id_col)]
    if not others:
        raise DataError(f"{name}: the only columns are {cols}; add a value column")
    if not cfg.wide and id_col is None:  # a numeric unique_id (Nixtla) is no value column
        others = [c for c in others if c.lower() not in _ID_NAMES] or others
    numeric = [c for c in others if _mostly_numeric(raw[c], cfg.thousands, cfg.decimal)]
    if not numeric:  # numbers with an undeclared thousands separator, or one column of bad cells
        numeric = [c for c in others if _mostly_numeric(raw[c], ",")] or others[:1] * (len(others) == 1)
    if not numeric:
        raise DataError(f"{name}: no numeric value column among {others}; name it with --value-col")
    if len(numeric) == 1 or (cfg.wide and id_col is None):
        return numeric
    raise DataError(
        f"{name}: several numeric columns {numeric}; pick one with --value-col"
        + ("" if id_col else ", or read each column as a series with --wide")
    )


def guess_id_col(raw: pd.DataFrame, used: tuple[str, ...]) -> str | None:
    """The column that likely holds series ids: one named like an id, else the first text column."""
    rest = [c for c in raw.columns if c not in used]
    named = [c for c in rest if c.lower() in _ID_NAMES]
    if named:
        return named[0]
    text = [c for c in rest if is_text(raw[c]) and not _looks_numeric(raw[c].head(50))]
    return text[0] if text else None


def _mostly_numeric(col: pd.Series, thousands: str | None, decimal: str = ".") -> bool:
    if not is_text(col):
        return is_number(col)
    text = numeric_text(col.str.strip(), thousands, decimal)
    present = text[~text.isin(MISSING)]
    if present.empty:
        return False
    return bool(pd.to_numeric(present, errors="coerce").notna().mean() >= 0.5)
