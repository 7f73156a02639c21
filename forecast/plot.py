"""Pictures of runs and backtests: matplotlib with the Agg backend, imported only here.

One panel per series (a grid for several), real dates on the x axis, history in grey,
actuals in black, forecasts in colour with shaded prediction intervals. Files are written
to a temporary name and renamed into place.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["plot_series", "MAX_PANELS"]

MAX_PANELS = 12
_FOLD_COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown")


def plot_series(
    history: dict[str, pd.Series],
    path: Path,
    title: str,
    holdout: pd.DataFrame | None = None,
    future: pd.DataFrame | None = None,
    backtest: pd.DataFrame | None = None,
) -> Path:
    """Draw each series of ``history`` (date-indexed values) with whatever forecasts are given.

    ``holdout``/``future``/``backtest`` are frames in the output-file layout (``series`` or
    not, ``date``, ``forecast``, ``lo-XX``/``hi-XX``; backtest also ``fold``).
    """
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    from matplotlib import dates as mdates

    ids = list(history)[:MAX_PANELS]
    cols = 1 if len(ids) == 1 else min(3, len(ids))
    rows = math.ceil(len(ids) / cols)
    fig, axes = plt.subplots(
        rows,
        cols,
        figsize=(6.4 * cols if cols > 1 else 11, 3.6 * rows + (0.8 if rows == 1 else 0)),
        squeeze=False,
    )
    for ax, uid in zip(axes.ravel(), ids):
        hist = history[uid]
        ax.plot(hist.index, hist.to_numpy(), color="0.45", lw=1.2, label="history")
        if holdout is not None:
            part = _rows(holdout, uid)
            ax.plot(part["date"], part["actual"], color="black", lw=1.4, label="hold-out actual")
            _forecast(ax, part, "tab:blue", "hold-out forecast")
        if future is not None:
            _forecast(ax, _rows(future, uid), "tab:red", "forecast")
        if backtest is not None:
            part = _rows(backtest, uid)
            ax.plot(part["date"], part["actual"], color="black", lw=1.4, label="actual")
            for i, (fold, fp) in enumerate(part.groupby("fold")):
                _forecast(
                    ax,
                    fp,
                    _FOLD_COLOURS[i % len(_FOLD_COLOURS)],
                    f"fold {fold}",
                    bands=i == part["fold"].nunique() - 1,
                )
        ax.set_title(str(uid), fontsize=10)
        locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=8)
    for ax in axes.ravel()[len(ids) :]:
        ax.set_visible(False)
    legend: dict[str, Any] = {}
    for ax in axes.ravel()[: len(ids)]:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            legend.setdefault(label, handle)  # one entry per label across every panel
    height = fig.get_figheight()
    shown = f" (first {len(ids)} of {len(history)} series)" if len(history) > len(ids) else ""
    fig.suptitle(title + shown, fontsize=11, y=1 - 0.08 / height, va="top")
    fig.legend(
        list(legend.values()), list(legend), loc="upper center", ncol=min(len(legend), 5), fontsize=9,
        frameon=False, bbox_to_anchor=(0.5, 1 - 0.32 / height),
    )  # fmt: skip
    legend_rows = math.ceil(len(legend) / 5)
    fig.tight_layout(rect=(0, 0, 1, 1 - (0.4 + 0.24 * legend_rows) / height))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.png")
    try:
        fig.savefig(tmp, dpi=110)
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        tmp.unlink(missing_ok=True)
    return path


def _rows(frame: pd.DataFrame, uid: str) -> pd.DataFrame:
    part = frame[frame["series"].astype(str) == uid] if "series" in frame.columns else frame
    return part.assign(date=pd.to_datetime(part["date"]))


def _forecast(ax: Any, part: pd.DataFrame, colour: str, label: str, bands: bool = True) -> None:
    if part.empty:
        return
    ax.plot(part["date"], part["forecast"], color=colour, lw=1.6, label=label)
    if not bands:
        return
    levels = sorted({int(c[3:]) for c in part.columns if c.startswith("lo-")}, reverse=True)
    for k, lv in enumerate(levels):
        lo, hi = part[f"lo-{lv}"], part[f"hi-{lv}"]
        if lo.notna().any():
            ax.fill_between(
                part["date"], lo, hi, color=colour, alpha=0.15 + 0.12 * k, lw=0, label=f"{label} {lv}%"
            )
