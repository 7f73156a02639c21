"""The Typer ``app``, the ``command`` decorator that maps every error of a command to its exit
code in one place, and the console-script entry point ``main`` (usage errors: one line, exit 2).
Part of the CLI layer; the commands themselves are in ``app``.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import sys
import traceback
import warnings
from collections.abc import Callable
from typing import Annotated, Any, Optional

import typer

from forecast import __version__
from forecast.cli import config_file
from forecast.cli.render import Reporter
from forecast.cli.signals import interruptible
from forecast.core.errors import ForecastError, OutputError
from forecast.model import distributed

app = typer.Typer(
    name="forecast",
    help="Forecast time series with recurrent neural networks (LSTM, GRU, RNN, peephole LSTM).",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


INTERRUPTED = "interrupted by SIGINT; nothing was written"


def command(name: str, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a command whose errors all map to exit codes here, in one place."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        sig = inspect.signature(fn, eval_str=True)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kw: Any) -> Any:
            ctx = kw.pop("ctx_", None)
            # under torchrun only rank 0 talks: it also reports the other processes' failures
            main = distributed.from_env().main
            debug, as_json = bool(kw.get("debug")), bool(kw.get("as_json")) and main
            # idle OpenMP threads sleep instead of spinning: shared cores stay usable
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            try:
                problem = config_file.first_problem(ctx) if ctx is not None else None
                if problem is not None:  # a bad --config file: its own json and debug do not count
                    debug = debug and config_file.on_command_line(ctx, "debug")
                    as_json = as_json and config_file.on_command_line(ctx, "as_json")
                    raise problem
                with interruptible(), warnings.catch_warnings():
                    if not debug:  # numeric chatter from libraries is not for cron logs
                        warnings.simplefilter("ignore")
                    return fn(*args, **kw)
            except typer.Exit:
                raise
            except ForecastError as exc:
                if debug:
                    traceback.print_exc()
                _fail(str(exc), exc.exit_code, as_json, main)
            except KeyboardInterrupt:
                _fail(INTERRUPTED, 130, as_json, main)
            except OSError as exc:  # disk full or read-only wherever it struck: exit 6, not a bug
                failed = OutputError.of(exc, exc.filename or "an output file", all_errors=False)
                if failed is None:
                    _bug(exc, debug, as_json, main)
                else:
                    _fail(str(failed), failed.exit_code, as_json, main)
            except Exception as exc:  # a bug: one line unless --debug
                _bug(exc, debug, as_json, main)

        if "config" in sig.parameters:  # the click context holds the --config file's problems
            ctx_param = inspect.Parameter(
                "ctx_", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context
            )
            wrapper.__signature__ = sig.replace(parameters=[ctx_param, *sig.parameters.values()])  # type: ignore[attr-defined]
            wrapper.__annotations__ = {"ctx_": typer.Context, **fn.__annotations__}
        return app.command(name, **kwargs)(wrapper)

    return decorate


def _bug(exc: Exception, debug: bool, as_json: bool, speak: bool) -> None:
    """An unexpected exception: one line and exit 1 (the traceback with --debug)."""
    if debug:
        traceback.print_exc()
    detail = f"{type(exc).__name__}: {exc}".splitlines()[0]
    _fail(f"internal error ({detail}); rerun with --debug and report it", 1, as_json, speak)


def _fail(message: str, code: int, as_json: bool, speak: bool = True) -> None:
    if speak:
        Reporter(as_json=False, quiet=False).error(message)
    if as_json:
        sys.stdout.write(json.dumps({"ok": False, "exit_code": code, "error": message}) + "\n")
    raise typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"forecast {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        Optional[bool],
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit."),
    ] = None,
) -> None:
    """Forecast time series with recurrent neural networks.

    [b]forecast train data.csv[/b] trains and saves a run under runs/;
    [b]forecast predict --horizon 12[/b] forecasts from the newest run.
    """


def _interrupted() -> None:
    """SIGINT before a command's handler: one line (and JSON with --json), exit 130."""
    Reporter(as_json=False, quiet=False).error(INTERRUPTED)
    if "--json" in sys.argv:
        sys.stdout.write(json.dumps({"ok": False, "exit_code": 130, "error": INTERRUPTED}) + "\n")
    sys.exit(130)


def main() -> None:
    """Console-script entry point: usage errors become one line (and JSON with --json), exit 2."""
    usage_error = typer.BadParameter.__mro__[1]  # click's UsageError, vendored or not
    try:
        code = app(standalone_mode=False)
    except usage_error as exc:
        if exc.ctx is not None and not exc.ctx.args and "NoArgsIsHelp" in type(exc).__name__:
            typer.echo(exc.ctx.get_help())
            sys.exit(0)
        message = " ".join(exc.format_message().split())
        if exc.ctx is not None:
            message += f" (see {exc.ctx.command_path} --help)"
        if distributed.from_env().main:  # under torchrun: said once, by rank 0
            Reporter(as_json=False, quiet=False).error(message)
            if "--json" in sys.argv:
                sys.stdout.write(json.dumps({"ok": False, "exit_code": 2, "error": message}) + "\n")
        sys.exit(2)
    except (KeyboardInterrupt, EOFError):  # before a command's own handler was in place
        _interrupted()
    sys.exit(code if isinstance(code, int) else 0)
