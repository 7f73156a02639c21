"""Run directories: staged writes, atomic swap into place, ``latest`` link, safe loading.

A run is written into ``.tmp-<name>-<pid>-<random>`` beside its target and renamed into
place only when every file is there, so a crash never leaves a half run where a reader
looks. Weights are safetensors (no code runs on load) and their SHA-256 sits in
config.json, which is validated before anything is built from it.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import signal
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from forecast.config import SCHEMA_VERSION
from forecast.errors import RunError, UsageError

__all__ = [
    "CONFIG",
    "WEIGHTS",
    "SERIES",
    "read_series",
    "staged_run",
    "write_json",
    "read_config",
    "save_weights",
    "load_weights",
    "update_latest",
    "resolve_run",
    "sha256_file",
    "exclusive",
    "plain_json",
    "make_dirs",
    "check_latest",
]

CONFIG = "config.json"
WEIGHTS = "model.safetensors"
SERIES = "series.json"
_TMP_PREFIX = ".tmp-"
_OLD_PREFIX = ".old-"


def sha256_file(path: Path) -> str:
    from forecast.data import file_sha256

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
        tmp.write_text(json.dumps(plain_json(obj), indent=2, allow_nan=False) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def make_dirs(path: Path) -> None:
    """mkdir -p, with a usage error naming the path when a file or permissions stand in the way."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"{path}: cannot create this directory ({exc.strerror or exc}); choose another path"
        ) from None


def check_latest(runs_dir: Path) -> None:
    """Fail early when ``runs_dir/latest`` exists but is not the symlink we maintain."""
    link = runs_dir / "latest"
    if link.exists() and not link.is_symlink():
        raise RunError(f"{link}: exists and is not a symlink; remove it so it can track the newest run")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale(parent: Path) -> list[Path]:
    """Remove temporary run directories left by processes that no longer exist."""
    removed = []
    if not parent.is_dir():
        return removed
    for entry in parent.iterdir():
        if not entry.name.startswith((_TMP_PREFIX, _OLD_PREFIX)) or not entry.is_dir():
            continue
        parts = entry.name.split("-")
        pid = int(parts[-2]) if len(parts) >= 3 and parts[-2].isdigit() else None
        if pid is None or not _pid_alive(pid) or pid == os.getpid():
            name = "-".join(parts[:-2])[len(_OLD_PREFIX) :] if entry.name.startswith(_OLD_PREFIX) else ""
            if name and (entry / "run").is_dir() and not (parent / name).exists():
                os.rename(entry / "run", parent / name)  # killed mid-swap: put the old run back
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


@contextlib.contextmanager
def staged_run(target: Path) -> Iterator[Path]:
    """Yield an empty temporary directory; on success it replaces ``target`` atomically.

    ``target`` may exist only as an earlier run directory (it has a config.json) or empty:
    anything else is refused rather than deleted.
    """
    target = Path(target)
    if target.exists() and not (target / CONFIG).is_file():
        if not target.is_dir() or any(target.iterdir()):
            raise RunError(f"{target}: exists and is not a run directory; choose another --out or remove it")
    parent = target.parent
    make_dirs(parent)
    clean_stale(parent)
    tmp = Path(tempfile.mkdtemp(prefix=f"{_TMP_PREFIX}{target.name}-{os.getpid()}-", dir=parent))
    try:
        _chmod_default(tmp, 0o777)
        yield tmp
        for entry in tmp.iterdir():
            _chmod_default(entry, 0o666)
        blocked = {signal.SIGINT, signal.SIGTERM}
        signal.pthread_sigmask(signal.SIG_BLOCK, blocked)  # the swap is two renames: never half of it
        try:
            if target.exists():
                old = Path(tempfile.mkdtemp(prefix=f"{_OLD_PREFIX}{target.name}-{os.getpid()}-", dir=parent))
                os.rename(target, old / "run")
                os.rename(tmp, target)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.rename(tmp, target)
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, blocked)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _chmod_default(path: Path, mode: int) -> None:
    """mkdtemp and safetensors create private files; give them the usual umask modes."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, mode & ~umask)


def update_latest(runs_dir: Path, target: Path) -> Path:
    """Point ``runs_dir/latest`` at ``target`` with one atomic rename of a symlink."""
    make_dirs(runs_dir)
    check_latest(runs_dir)
    link = runs_dir / "latest"
    target = target.resolve()
    home = runs_dir.resolve()
    dest = target.name if target.parent == home else str(target)  # relative inside runs_dir
    tmp = runs_dir / f".latest-{os.getpid()}.tmp"
    tmp.unlink(missing_ok=True)
    os.symlink(dest, tmp)
    os.replace(tmp, link)
    return link


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


def read_config(run_dir: Path) -> dict[str, Any]:
    """Parse and check the envelope of config.json (schema version, required sections)."""
    from forecast.runcheck import MAX_CONFIG_BYTES, read_json

    path = run_dir / CONFIG
    raw = read_json(path, MAX_CONFIG_BYTES)  # size-capped, strict: RunError for anything else
    if not isinstance(raw, dict):
        raise RunError(f"{path}: not a JSON object")
    version = raw.get("schema_version")
    if version != SCHEMA_VERSION:
        made_by = (
            raw.get("versions", {}).get("forecast", "an unknown version")
            if isinstance(raw.get("versions"), dict)
            else "an unknown version"
        )
        raise RunError(
            f"{path}: run schema version {version!r} (written by forecast {made_by}); this "
            f"forecast reads schema version {SCHEMA_VERSION}; retrain with this version"
        )
    for section in ("settings", "data", "weights", "training"):
        if not isinstance(raw.get(section), dict):
            raise RunError(f"{path}: section '{section}' is missing or not an object")
    return raw


def save_weights(state: dict[str, Any], path: Path) -> str:
    """Write a state dict as safetensors; returns the file's SHA-256."""
    from safetensors.torch import save_file

    save_file({k: v.detach().cpu().contiguous() for k, v in state.items()}, str(path))
    return sha256_file(path)


def load_weights(
    path: Path, expected_sha256: str, check: Callable[[Path], None] | None = None
) -> dict[str, Any]:
    """Read safetensors weights after checking their SHA-256 (then ``check``, given the path:
    ``runcheck``'s header check); never unpickles anything."""
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


def read_series(run_dir: Path, expected_sha256: Any) -> dict[str, Any]:
    """series.json (ids, methods, fitted transforms) after checking its recorded SHA-256."""
    import hashlib

    from forecast.runcheck import MAX_SERIES_BYTES, parse_json, read_bytes

    path = run_dir / SERIES
    content = read_bytes(path, MAX_SERIES_BYTES)  # the bytes hashed are the bytes parsed
    if not isinstance(expected_sha256, str) or hashlib.sha256(content).hexdigest() != expected_sha256:
        raise RunError(
            f"{path}: SHA-256 differs from the one in config.json: altered or truncated; train again"
        )
    raw = parse_json(content, path)
    ids, methods = (
        raw.get("ids") if isinstance(raw, dict) else None,
        raw.get("method") if isinstance(raw, dict) else None,
    )
    if not isinstance(ids, list) or not isinstance(methods, list) or len(ids) != len(methods):
        raise RunError(f"{path}: 'ids' and 'method' must be lists of equal length")
    if not all(isinstance(i, str) for i in ids) or not all(m in ("model", "seasonal_naive") for m in methods):
        raise RunError(f"{path}: ids must be text and methods 'model' or 'seasonal_naive'")
    return raw


@contextlib.contextmanager
def exclusive(target: Path, wait: float, what: str) -> Iterator[None]:
    """Hold an OS file lock on ``target`` (beside it, ``.<name>.lock``) for the block.

    Waits up to ``wait`` seconds for another holder, then fails naming it. The kernel
    drops the lock when its process dies, so a killed run never blocks the next one.
    """
    from filelock import FileLock, Timeout

    make_dirs(target.parent)
    if not os.access(target.parent, os.W_OK):
        raise UsageError(f"{target.parent}: not writable; choose another path")
    lock = FileLock(str(target.parent / f".{target.name}.lock"), timeout=max(wait, 0.0))
    owner = target.parent / f".{target.name}.owner"
    try:
        lock.acquire()
    except Timeout:
        try:
            holder = owner.read_text(encoding="utf-8").strip() or "another process"
        except OSError:
            holder = "another process"
        raise RunError(
            f"{target}: {what} is locked by {holder}; wait for it to finish or pass --wait SECONDS"
        ) from None
    try:
        owner.write_text(f"pid {os.getpid()} on {os.uname().nodename}\n", encoding="utf-8")
        yield
    finally:
        owner.unlink(missing_ok=True)
        lock.release()
