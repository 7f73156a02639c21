"""Pictures of runs and backtests: matplotlib with the Agg backend, imported only here.

One panel per series (a grid for several), real dates on the x axis, history in grey,
actuals in black, forecasts in colour with shaded prediction intervals. Files are written
to a temporary name and renamed into place. ``recent_history`` picks the part of each series
a picture shows.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from forecast.data import dataset

__all__ = ["plot_series", "recent_history", "image_format", "MAX_PANELS", "FORMATS"]

MAX_PANELS = 12
# what the suffix of a picture's name may be, and the format written (matplotlib's names)
FORMATS = {
    ".png": "png", ".pdf": "pdf", ".svg": "svg", ".svgz": "svgz", ".jpg": "jpg", ".jpeg": "jpeg",
    ".eps": "eps", ".ps": "ps", ".tif": "tif", ".tiff": "tiff", ".webp": "webp",
}  # fmt: skip
_FALLBACK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Noto Color Emoji",
    "Noto Emoji",
    "WenQuanYi Zen Hei",
    "Droid Sans Fallback",
)
_FOLD_COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown")


def plot_series(
    history: dict[str, pd.Series],
    path: Path,
    title: str,
    holdout: pd.DataFrame | None = None,
    future: pd.DataFrame | None = None,
    backtest: pd.DataFrame | None = None,
    on_warning: Callable[[str], None] | None = None,
) -> Path:
    """Draw each series of ``history`` (date-indexed values) with whatever forecasts are given,
    in the format ``path``'s suffix names (PNG without one).

    ``holdout``/``future``/``backtest`` are frames in the output-file layout (``series`` or
    not, ``date``, ``forecast``, ``lo-XX``/``hi-XX``; backtest also ``fold``). ``on_warning``
    hears of series names the fonts cannot draw.
    """
    fmt = image_format(path)
    import warnings

    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    # a font list: matplotlib falls back glyph by glyph along it (CJK, emoji where installed)
    with plt.rc_context({"font.family": _fonts()}), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = _figure(plt, history, title, holdout, future, backtest)
        try:
            fig.savefig(tmp, dpi=110, format=fmt)
            os.replace(tmp, path)
        finally:
            plt.close(fig)
            tmp.unlink(missing_ok=True)
    glyphs = sorted(
        {chr(int(g)) for w in caught for g in re.findall(r"Glyph (\d+) .*missing", str(w.message))}
    )
    if glyphs and on_warning is not None:
        on_warning(
            f"{path}: no installed font has {' '.join(glyphs[:10])}, so they show as empty boxes; "
            f"install one that has them (e.g. {', '.join(_FALLBACK_FONTS[:3])})"
        )
    return path


def _figure(
    plt: Any,
    history: dict[str, pd.Series],
    title: str,
    holdout: pd.DataFrame | None,
    future: pd.DataFrame | None,
    backtest: pd.DataFrame | None,
) -> Any:
    """The figure of ``plot_series``: one panel per series, up to ``MAX_PANELS``."""
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
        _panel(ax, uid, history[uid], holdout, future, backtest)
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
    return fig


def _panel(
    ax: Any,
    uid: str,
    hist: pd.Series,
    holdout: pd.DataFrame | None,
    future: pd.DataFrame | None,
    backtest: pd.DataFrame | None,
) -> None:
    """One series' panel: its history, then whatever forecasts were given, with date ticks."""
    from matplotlib import dates as mdates

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


def _fonts() -> list[str]:
    """The default sans-serif font first, then any installed fallback for CJK or emoji."""
    from matplotlib import font_manager, rcParams

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return [*rcParams["font.sans-serif"][:1], *(f for f in _FALLBACK_FONTS if f in installed)]


def image_format(path: Path) -> str:
    """The picture format named by ``path``'s suffix (PNG without one); UsageError for others."""
    from forecast.core.errors import UsageError

    suffix = Path(path).suffix.lower()
    if not suffix:
        return "png"
    if suffix not in FORMATS:
        raise UsageError(
            f"{path}: cannot write a picture as '{suffix}'; name it with one of {', '.join(FORMATS)}"
        )
    return FORMATS[suffix]


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


def recent_history(
    ds: dataset.Dataset, season: int, horizon: int, only: list[str] | None = None
) -> dict[str, pd.Series]:
    """The last ten seasons (at least six horizons) of each series, for pictures."""
    keep = max(10 * season, 6 * horizon)
    out: dict[str, pd.Series] = {}
    for k, uid in enumerate(ds.ids):
        if (only and str(uid) not in only) or len(out) >= MAX_PANELS:
            continue
        rows = ds.rows(k)
        out[str(uid)] = pd.Series(ds.values[rows], index=ds.dates[rows]).iloc[-keep:]
    return out
