"""How the CLI talks: ``Reporter`` (rich on a terminal, plain lines in logs, JSON on stdout
with --json), progress lines and result tables. Part of the CLI layer, the only one that prints.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from forecast.core.choices import LABELS
from forecast.runs.files import plain_json


class Reporter:
    """Talks to the user: results on stdout (stderr with --json), everything else on stderr."""

    def __init__(self, as_json: bool, quiet: bool) -> None:
        from rich.console import Console

        self.as_json, self.quiet = as_json, quiet
        self.err = Console(stderr=True, highlight=False, soft_wrap=True)
        self.terminal = self.err.is_terminal
        width = None if self.terminal else 200  # logs: never cut a table at 80 columns
        self.err = Console(stderr=True, highlight=False, soft_wrap=True, width=width)
        self.out = Console(stderr=as_json, highlight=False, soft_wrap=True, width=width)

    def info(self, message: str) -> None:
        if not self.quiet:
            self.err.print(message, markup=False)

    def warn(self, message: str) -> None:
        if not self.quiet:
            self.err.print(("[yellow]warning:[/] " if self.terminal else "warning: ") + _esc(message))

    def error(self, message: str) -> None:
        self.err.print(("[red]error:[/] " if self.terminal else "error: ") + _esc(message))

    def result(self, renderable: Any) -> None:
        if not self.quiet:
            self.out.print(renderable)

    def emit_json(self, obj: dict[str, Any]) -> None:
        if self.as_json:
            sys.stdout.write(json.dumps(plain_json(obj), indent=2, sort_keys=False) + "\n")
            sys.stdout.flush()


def _esc(text: str) -> str:
    from rich.markup import escape

    return escape(text)


@contextmanager
def progress(rep: Reporter) -> Iterator[Callable[[str, Any], None] | None]:
    """Epoch progress: a rich bar on a terminal, a plain line every few epochs otherwise."""
    if rep.quiet:
        yield None
        return
    if not rep.terminal:

        def plain(stage: str, info: Any) -> None:
            if info.epoch == 1 or info.epoch % 10 == 0 or info.epoch == info.epochs:
                val = f" val_loss {info.val_loss:.4f}" if info.val_loss is not None else ""
                rep.err.print(
                    f"{stage} epoch {info.epoch}/{info.epochs} loss {info.loss:.4f}{val}", markup=False
                )

        yield plain
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    tasks: dict[str, Any] = {}
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[losses]}"),
        TimeElapsedColumn(),
        console=rep.err,
        transient=False,
    ) as bar:

        def fancy(stage: str, info: Any) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=info.epochs, losses="")
            val = f" val {info.val_loss:.4f}" if info.val_loss is not None else ""
            bar.update(
                tasks[stage], completed=info.epoch, total=info.epochs, losses=f"loss {info.loss:.4f}{val}"
            )

        yield fancy


def metrics_table(scores: dict[str, Any], model_name: str, terminal: bool, season: int | None = None) -> Any:
    """Hold-out or backtest scores of the model and the baselines (seasonal naive only with a
    season: without one it is naive again)."""
    from rich import box
    from rich.table import Table

    title = (
        f"hold-out: last {scores['test_size']} points"
        if isinstance(scores["test_size"], int)
        else f"backtest: {scores['test_size']}"
    )
    if scores.get("scored_series", 1) > 1:
        title += f" of {scores['scored_series']} series (means)"
    table = Table(
        title=title,
        box=box.SIMPLE if terminal else None,
        title_justify="left",
    )
    table.add_column("forecast")
    for metric in ("MAE", "RMSE", "MAPE", "sMAPE", "MASE"):
        table.add_column(metric, justify="right")
    names = [("model", model_name)]
    if "net" in scores or any(k in scores for k in LABELS):  # the choice, then each candidate
        names = [("model", "chosen")]
        names += [(k, label) for k, label in (("net", model_name), *LABELS.items()) if k in scores]
    names += [("naive", "naive"), ("seasonal_naive", "seasonal naive"), ("drift", "drift")]
    for key, label in names:
        if key == "seasonal_naive" and season == 1:
            continue
        row = scores[key]
        table.add_row(label, *(num(row[m]) for m in ("mae", "rmse", "mape", "smape", "mase")))
    return table


def num(value: float) -> str:
    if not math.isfinite(value):
        return "n/a"
    return f"{value:.3f}" if abs(value) < 1000 else f"{value:,.0f}"


def forecast_table(frame: Any, terminal: bool, total: int | None = None) -> Any:
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE if terminal else None)
    columns = [
        c for c in frame.columns if c in ("series", "date", "forecast", "method") or c[:3] in ("lo-", "hi-")
    ]
    for col in columns:
        table.add_column(col, justify="left" if col in ("series", "date", "method") else "right")
    for row in frame.head(TABLE_ROWS).to_dict(orient="records"):
        table.add_row(
            *(str(row[c]) if c in ("series", "date", "method") else f"{row[c]:,.2f}" for c in columns)
        )
    total = len(frame) if total is None else total
    if total > TABLE_ROWS:
        table.caption = f"first {TABLE_ROWS} of {total:,} rows"
    return table


TABLE_ROWS = 60


def frame_table(frame: Any, terminal: bool, title: str) -> Any:
    from rich import box
    from rich.table import Table

    table = Table(title=title, title_justify="left", box=box.SIMPLE if terminal else None)
    for col in frame.columns:
        table.add_column(
            str(col), justify="left" if col in ("series", "first_date", "last_date") else "right"
        )
    for row in frame.head(TABLE_ROWS).itertuples(index=False):
        table.add_row(*(str(v) for v in row))
    if len(frame) > TABLE_ROWS:
        table.caption = f"first {TABLE_ROWS} of {len(frame)} series"
    return table


def _lineage(parent: dict[str, Any] | None) -> list[str]:
    """A run trained with --init: its parent, and the runs before it (oldest first)."""
    if not parent:
        return []

    def one(p: dict[str, Any]) -> str:
        sha = str(p.get("weights_sha256") or "?")[:12]
        return f"{p.get('run') or '?'} (weights {sha}..., trained until {str(p.get('trained_until') or '?')[:10]})"

    lines = [f"parent     {one(parent)}"]
    for k, earlier in enumerate(reversed(parent.get("lineage") or [])):
        lines.append(f"{'lineage' if k == 0 else '':<10} {one(earlier)}")
    return lines


def model_card(card: dict[str, Any]) -> list[str]:
    """The lines of ``forecast info``: one labelled line per part of a run's model card.

    Fields ``workflows.inspect.info`` found malformed are None here and show as ``?``."""
    d, t, h = card["data"], card["training"], card["holdout"]

    def v(value: Any) -> str:
        return "?" if value is None else str(value)

    first, last = (v(x)[:10] for x in (d.get("first_date"), d.get("last_date")))
    lines = [
        f"run        {card['run_dir']} (created {v(card.get('created_utc'))})",
        f"data       {v(d.get('path'))}",
        f"sha256     {v(d.get('sha256'))}",
        f"series     {v(d.get('series') if 'series' in d else 1)} ({v(d.get('rows'))} rows), {first} to {last}, "
        f"frequency {v(d.get('freq'))}, season {v(d.get('season'))}",
        f"training   {v(t.get('seconds'))} s on {v(t.get('device'))}"
        + (f" x {t['processes']} processes" if (t.get("processes") or 1) > 1 else "")
        + f", best epoch(s) {t.get('best_epochs')}, "
        f"{v(t.get('epochs_run'))} epochs run, refit {t.get('refit')}, ensemble {v(t.get('ensemble') or 1)}",
    ]
    given = card["settings"].get("data", {})
    if given.get("covariates") or given.get("future_covariates"):
        lines.append(
            f"covariates observed {given.get('covariates') or []}, known ahead {given.get('future_covariates') or []}"
        )
    for section in ("window", "model", "train"):
        pairs = ", ".join(f"{k}={val}" for k, val in card["settings"].get(section, {}).items())
        lines.append(f"{section:<10} {pairs}")
    if h.get("verdict"):
        lines.append(f"hold-out   last {v(h.get('test_size'))} points: {h['verdict']}")
        choice = h.get("choice")
        if isinstance(choice, dict) and isinstance(choice.get("shipped"), dict):
            counts = ", ".join(f"{k} {v(x)}" for k, x in choice["shipped"].items())
            lines.append(f"  method per series (validation and hold-out): {counts}")
        for name in ("model", "net", *LABELS, "naive", "seasonal_naive", "drift"):
            if name not in h:  # runs from before the drift baseline, or without that candidate
                continue
            row = h[name]
            lines.append(
                f"  {name:<15} "
                + "  ".join(f"{k} {num(x) if x is not None else 'n/a'}" for k, x in row.items())
            )
        coverage = {k: x for k, x in (h.get("holdout_coverage") or {}).items() if x is not None}
        if coverage:
            lines.append("  interval coverage " + ", ".join(f"{k}%: {x:.0%}" for k, x in coverage.items()))
        seen = h.get("holdout_seen_by_parent")
        if isinstance(seen, (int, float)) and seen > 0:
            lines.append(f"  optimistic: the parent's weights had seen {seen:.0%} of these points")
    lines += _lineage(card.get("parent"))
    lines.append("versions   " + ", ".join(f"{k} {v(x)}" for k, x in card["versions"].items()))
    return lines
