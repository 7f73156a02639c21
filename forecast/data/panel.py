"""``Panel``: a Dataset's series as aligned per-series arrays, the one value that fitting,
calibration, hold-out scoring and backtests pass around.

Built once from the Dataset (``Panel.of``). ``take`` keeps some of the series, ``cut`` ends
every series some steps earlier (at the hold-out or a backtest origin). ``index`` numbers each
series as the Dataset does, so results map back to ids and rows without hand-kept index lists.
Covariates are never cut: rows past a series' values are what its known-ahead inputs may read
after the origin (past-observed ones are held at the origin by the model code).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from forecast.data.dataset import Dataset

__all__ = ["Panel"]


@dataclass(frozen=True)
class Panel:
    index: np.ndarray  # int64: each series' number in the Dataset
    values: tuple[np.ndarray, ...]  # the observed values, up to the panel's end
    positions: tuple[np.ndarray, ...]  # the grid position of each value
    covariates: tuple[np.ndarray, ...] | None  # (rows, k) per series over all the Dataset's rows

    @classmethod
    def of(cls, ds: Dataset, covariates: bool = False) -> Panel:
        """Every series of ``ds``, with its covariate columns when ``covariates``."""
        rows = [ds.rows(k) for k in range(len(ds.ids))]
        table = ds.covariates if covariates else None
        return cls(
            np.arange(len(rows), dtype=np.int64),
            tuple(ds.values[r] for r in rows),
            tuple(ds.positions[r] for r in rows),
            None if table is None else tuple(table[r] for r in rows),
        )

    def __len__(self) -> int:
        return len(self.values)

    @property
    def lengths(self) -> np.ndarray:
        return np.array([len(v) for v in self.values], dtype=np.int64)

    @property
    def firsts(self) -> list[int]:
        """The grid position of each series' first value (0 for an empty series)."""
        return [int(p[0]) if len(p) else 0 for p in self.positions]

    def take(self, which: np.ndarray | Sequence[int]) -> Panel:
        """The series at ``which``: positions in this panel, or a boolean mask over them."""
        keep = np.asarray(which)
        keep = np.flatnonzero(keep) if keep.dtype == bool else keep.astype(np.int64)
        return Panel(
            self.index[keep],
            tuple(self.values[i] for i in keep),
            tuple(self.positions[i] for i in keep),
            None if self.covariates is None else tuple(self.covariates[i] for i in keep),
        )

    def cut(self, back: int) -> Panel:
        """Every series without its last ``back`` values (covariates stay whole)."""
        ends = [max(len(v) - back, 0) for v in self.values]
        return Panel(
            self.index,
            tuple(v[:e] for v, e in zip(self.values, ends)),
            tuple(p[:e] for p, e in zip(self.positions, ends)),
            self.covariates,
        )

    def observed_covariates(self) -> list[np.ndarray] | None:
        """Each series' covariates over its values' rows only: what a model may be fitted on."""
        if self.covariates is None:
            return None
        return [c[: len(v)] for c, v in zip(self.covariates, self.values)]
