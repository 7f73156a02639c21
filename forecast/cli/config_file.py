"""``--config FILE.toml``: the file's section for this command becomes click's ``default_map``,
so a flag on the command line wins and every value gets click's own conversion and checks.

The option's callback reads and checks the file before any option that was not on the command
line takes its value. What is wrong with the file (missing, not TOML, unknown section or key, a
value click refuses) is kept on the context, not raised there: the command raises the first one
in file order, skipping values whose flag was given, so that errors keep the command's exit
code, ``--json`` and ``--debug``. Part of the CLI layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from forecast.core.errors import UsageError

SECTIONS = ("train", "predict", "backtest", "validate")
MAX_CONFIG_BYTES = 1_000_000  # a --config file is a few lines of TOML
_PROBLEMS = "forecast.config_problems"  # key in click's per-invocation ctx.meta


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the file; ``option`` names the parameter whose flag, when given on the
    command line, makes the file's value (and so this problem) irrelevant."""

    error: UsageError
    option: str | None = None


def load(ctx: typer.Context, param: typer.CallbackParam, value: Optional[Path]) -> Optional[Path]:
    """Callback of ``--config``: set this command's ``default_map`` from the file's section."""
    if value is None or ctx.resilient_parsing:
        return value
    defaults: dict[str, Any] = {}
    ctx.meta[_PROBLEMS] = _read_section(ctx, Path(value), defaults)
    ctx.default_map = {**(ctx.default_map or {}), **defaults}
    return value


def first_problem(ctx: typer.Context) -> UsageError | None:
    """The first problem of the ``--config`` file that counts: file order, a flag given on the
    command line overriding the file's value for its option."""
    for problem in ctx.meta.get(_PROBLEMS, ()):
        if problem.option is None or not on_command_line(ctx, problem.option):
            return problem.error
    return None


def on_command_line(ctx: typer.Context, name: str) -> bool:
    """Whether parameter ``name`` was given on the command line (not a default, not the file)."""
    source = ctx.get_parameter_source(name)
    return source is not None and source.name == "COMMANDLINE"


def _read_section(ctx: typer.Context, path: Path, defaults: dict[str, Any]) -> list[Problem]:
    """Fill ``defaults`` (option name -> value) from ``path``; return what is wrong, in file order."""
    import tomllib

    command_name = ctx.command.name or ""
    try:
        table = tomllib.loads(_read_text(path))
    except UsageError as exc:
        return [Problem(exc)]
    except FileNotFoundError:
        return [Problem(UsageError(f"{path}: no such config file (--config)"))]
    except (OSError, UnicodeDecodeError) as exc:
        detail = getattr(exc, "strerror", None) or exc
        return [Problem(UsageError(f"{path}: cannot be read ({detail})"))]
    except tomllib.TOMLDecodeError as exc:
        return [Problem(UsageError(f"{path}: not valid TOML ({exc})"))]
    unknown = sorted(set(table) - set(SECTIONS))
    if unknown:
        return [Problem(UsageError(f"{path}: unknown section(s) {unknown}; use {list(SECTIONS)}"))]
    section = table.get(command_name, {})
    if not isinstance(section, dict):
        return [Problem(UsageError(f"{path}: [{command_name}] must be a table of option = value"))]
    params = _options_by_key(ctx)
    problems = []
    for key, value in section.items():
        param = params.get(key.replace("_", "-"))
        if param is None:
            names = sorted(k for k in params if not k.startswith(("no-", "as-")) and len(k) > 1)
            message = f"{path}: [{command_name}] has no option '{key}'; options are {names}"
            problems.append(Problem(UsageError(message)))
            continue
        if param.multiple and not isinstance(value, list):
            value = [value]
        detail = _refusal(ctx, param, value)
        if detail is None:
            defaults[param.name] = value
        else:
            error = UsageError(f"{path}: [{command_name}] {key} = {value!r}: {detail}")
            problems.append(Problem(error, param.name))
    return problems


def _options_by_key(ctx: typer.Context) -> dict[str, Any]:
    """Every option by the keys a file may use: ``hidden-size``, ``hidden_size``; ``calendar = false``,
    never ``no-calendar = true``; ``json`` for ``--json``."""
    params = {}
    for param in ctx.command.params:
        if param.name == "config" or param.param_type_name != "option":
            continue
        for opt in (*param.opts, param.name or ""):
            params[opt.lstrip("-").replace("_", "-")] = param
    params["json"] = params.get("json", params.get("as-json"))
    return params


def _refusal(ctx: typer.Context, param: Any, value: Any) -> str | None:
    """Why click would refuse ``value`` for ``param`` (None: it takes it), checked the way a flag
    is: type, range, the option's callback (finite --wait)."""
    values = value if param.multiple else [value]
    if param.type.name.startswith("int") and any(isinstance(v, float) and not v.is_integer() for v in values):
        return "not a whole number"  # click's int() would cut 2.7 to 2
    try:
        cast = param.type_cast_value(ctx, value)
        if param.callback is not None:
            param.callback(ctx, param, cast)
    except Exception as exc:  # click's BadParameter and friends: the file's fault
        return " ".join(str(getattr(exc, "message", exc)).split())
    return None


def _read_text(path: Path) -> str:
    """The text of a regular file of at most ``MAX_CONFIG_BYTES``: never a device that reads
    forever (/dev/zero) or a FIFO that blocks (opened non-blocking, checked before reading)."""
    import os
    import stat

    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise UsageError(f"{path}: not a regular file (--config); give a TOML file")
    with os.fdopen(fd, "rb") as fh:
        raw = fh.read(MAX_CONFIG_BYTES + 1)
    if len(raw) > MAX_CONFIG_BYTES:
        raise UsageError(
            f"{path}: larger than {MAX_CONFIG_BYTES:,} bytes (--config); a config file is a few lines of TOML"
        )
    return raw.decode("utf-8")


ConfigOpt = Annotated[
    Optional[Path],
    typer.Option(
        "--config",
        callback=load,
        help="TOML file with option values under \\[train], \\[predict], \\[backtest] or \\[validate]; "
        "flags on the command line win.",
        rich_help_panel="Output",
        show_default=False,
    ),
]
