"""What each command says about its outcome: result tables and lines on the terminal, one JSON
object with --json. Part of the CLI layer; the commands in ``app`` pick the exit codes.
"""

from __future__ import annotations

from typing import Any

from forecast.cli.render import Reporter, forecast_table, frame_table, metrics_table
from forecast.core.choices import Method, Schedule


def train(rep: Reporter, outcome: Any) -> None:
    """The hold-out scores against the baselines, the verdict, where the run went."""
    if outcome.skipped:
        rep.info(f"unchanged: {outcome.run_dir} has the same data (SHA-256) and settings; not retrained")
        rep.emit_json(
            {"ok": True, "skipped": True, "run_dir": outcome.run_dir.absolute(), "metrics": outcome.metrics}
        )
        return
    for message in outcome.warnings:
        rep.warn(message)
    if outcome.holdout is not None:
        rep.result(
            metrics_table(
                outcome.metrics,
                outcome.config.model.kind.value.upper(),
                rep.terminal,
                outcome.config.window.season,
            )
        )
        line = outcome.verdict or ""
        if line.startswith("warning: "):
            rep.warn(line.removeprefix("warning: "))
        else:
            rep.info(line)
    train = outcome.config.train
    how = (
        f"{outcome.epochs_run} epochs, one-cycle{', then a warm refit' if train.refit and outcome.config.window.test_size else ''}"
        if train.schedule is Schedule.onecycle
        else f"best epoch {outcome.best_epoch} of {outcome.epochs_run}"
    )
    trained = f"trained {outcome.config.model.kind.value} in {outcome.seconds:.1f}s ({how})"
    if not outcome.epochs_run and not outcome.skipped:
        trained = "no network trained (every series too short for it)"
    rep.info(f"{trained}; run saved to {outcome.run_dir}")
    rep.info(f"{outcome.latest} -> {outcome.run_dir}; next: forecast predict --run {outcome.run_dir}")
    rep.emit_json(
        {
            "ok": True,
            "skipped": False,
            "run_dir": outcome.run_dir.absolute(),
            "latest": outcome.latest.absolute(),
            "files": sorted(p.name for p in outcome.run_dir.iterdir()),
            "settings": outcome.config.to_dict(),
            "metrics": outcome.metrics,
            "best_epoch": outcome.best_epoch,
            "epochs_run": outcome.epochs_run,
            "seconds": round(outcome.seconds, 3),
            "warnings": outcome.warnings,
        }
    )


def predict(rep: Reporter, outcome: Any, method: Method) -> None:
    """The forecast table (the first rows) and where the CSV went."""
    for message in outcome.warnings:
        rep.warn(message)
    rep.result(forecast_table(outcome.frame, rep.terminal, outcome.rows))
    by = "" if method is Method.auto else f" by {method.value.replace('_', ' ')} (--method)"
    rep.info(f"forecast of {outcome.steps} steps for {outcome.series} series{by} written to {outcome.path}")
    rep.emit_json(
        {
            "ok": True,
            "run_dir": outcome.run_dir,
            "path": outcome.path,
            "series": outcome.series,
            "steps": outcome.steps,
            "method": method.value,
            "rows": outcome.rows,
            # the first PREVIEW_ROWS rows; the file holds every row
            "forecast": outcome.frame.to_dict(orient="records"),
            "truncated": outcome.rows > len(outcome.frame),
            "warnings": outcome.warnings,
        }
    )


def validate(rep: Reporter, report: Any, data: str) -> bool:
    """One row per series; False (after saying why) when train would refuse the data."""
    table = report.series
    rep.result(frame_table(table, rep.terminal, f"{data}: {len(table)} series, frequency {report.freq}"))
    summary = {
        "ok": report.ok,
        "path": data,
        "freq": report.freq,
        "need_rows": report.need,
        "series": table.to_dict(orient="records"),
    }
    if not report.ok:
        rep.error(report.error or "")
        rep.emit_json({**summary, "exit_code": 3, "error": report.error})
        return False
    if "masked" in table and table["masked"].any():
        many = int((table["masked"] > 0).sum())
        rep.info(f"--fill mask will keep {int(table['masked'].sum())} value(s) missing, in {many} series")
    short = int(table["too_short"].sum())
    if short:
        rep.warn(f"{short} series shorter than {report.need} rows will be forecast by seasonal naive")
    rep.info("ok: train would accept this data")
    rep.emit_json(summary)
    return True


def backtest(rep: Reporter, outcome: Any) -> None:
    """The overall scores against the baselines, interval coverage, the verdict."""
    for message in outcome.warnings:
        rep.warn(message)
    m = outcome.metrics
    scores = {"test_size": f"{m['horizon']} points x {m['folds']} folds", **m["overall"]}
    rep.result(
        metrics_table(
            scores, outcome.config.model.kind.value.upper(), rep.terminal, outcome.config.window.season
        )
    )
    cov = ", ".join(f"{k}%: {v:.0%}" for k, v in m["coverage"].items() if v is not None)
    rep.info(f"interval coverage {cov}")
    (rep.warn if m["verdict"].startswith("warning") else rep.info)(m["verdict"].removeprefix("warning: "))
    rep.info(f"backtest written to {outcome.out_dir} (backtest.csv, metrics.json, metrics_by_series.csv)")
    rep.emit_json(
        {"ok": True, "out_dir": outcome.out_dir.absolute(), "metrics": m, "warnings": outcome.warnings}
    )
