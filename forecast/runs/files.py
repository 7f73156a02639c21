"""The files of a run directory: their names, strict JSON written atomically, safetensors
weights (SHA-256 checked on load, never unpickled) and the check that a run is complete.
What goes into config.json is ``runs.run``'s business; this module only moves bytes.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from forecast.core.errors import OutputError, RunError, UsageError, writing

__all__ = [
    "CONFIG",
    "WEIGHTS",
    "SERIES",
    "sha256_file",
    "plain_json",
    "write_json",
    "make_dirs",
    "resolve_run",
    "save_weights",
    "load_weights",
]

CONFIG = "config.json"
WEIGHTS = "model.safetensors"
SERIES = "series.json"


def sha256_file(path: Path) -> str:
    from forecast.data.dataset import file_sha256

    return file_sha256(path)


def plain_json(obj: Any) -> Any:
    """JSON-ready copy: NaN and inf become null, paths become text (strict JSON everywhere)."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {str(k): plain_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain_json(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    return obj


def write_json(path: Path, obj: Any) -> None:
    """Write strict JSON atomically (temporary file + rename)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with writing(path):
            tmp.write_text(json.dumps(plain_json(obj), indent=2, allow_nan=False) + "\n", encoding="utf-8")
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def make_dirs(path: Path) -> None:
    """mkdir -p, with a usage error naming the path when a file or permissions stand in the way."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError.of(exc, path) or UsageError(
            f"{path}: cannot create this directory ({exc.strerror or exc}); choose another path"
        ) from None


def resolve_run(run: Path) -> Path:
    """The real directory of a run, after checking it is complete."""
    if not run.exists():
        hint = " (train first: forecast train DATA.csv)" if run.name == "latest" else ""
        raise RunError(f"{run}: no such run directory{hint}")
    real = run.resolve()
    if not real.is_dir():
        raise RunError(
            f"{run}: is a file, not a run directory; to check a data file run: forecast validate {run}"
        )
    for name in (CONFIG, WEIGHTS, SERIES):
        if not (real / name).is_file():
            raise RunError(f"{run}: incomplete run directory, {name} is missing; train again")
    return real


def save_weights(state: dict[str, Any], path: Path) -> str:
    """Write a state dict as safetensors; returns the file's SHA-256."""
    from safetensors.torch import save_file

    with writing(path):
        save_file({k: v.detach().cpu().contiguous() for k, v in state.items()}, str(path))
    return sha256_file(path)


def load_weights(
    path: Path, expected_sha256: str, check: Callable[[Path], None] | None = None
) -> dict[str, Any]:
    """Read safetensors weights after checking their SHA-256 (then ``check``, given the path:
    ``runs.check``'s header check); never unpickles anything."""
    if not path.is_file():
        raise RunError(f"{path}: weights file is missing; train again")
    actual = sha256_file(path)
    if actual != expected_sha256:
        raise RunError(
            f"{path}: SHA-256 {actual[:12]}... differs from the {expected_sha256[:12]}... "
            "recorded in config.json: the weights were altered or truncated; train again"
        )
    if check is not None:
        check(path)
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise RunError(f"{path}: not a valid safetensors file ({exc}); train again") from None
