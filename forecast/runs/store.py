"""Run directories: staged writes, atomic swap into place, ``latest`` link, safe loading.

A run is written into ``.tmp-<name>-<pid>-<random>`` beside its target and renamed into
place only when every file is there, so a crash never leaves a half run where a reader
looks. Weights are safetensors (no code runs on load) and their SHA-256 sits in
config.json, whose format ``runs.run`` owns.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import functools
import inspect
import json
import math
import os
import re
import shutil
import signal
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from forecast.core.errors import OutputError, RunError, UsageError, writing

__all__ = [
    "CONFIG",
    "WEIGHTS",
    "SERIES",
    "staged_run",
    "write_json",
    "save_weights",
    "load_weights",
    "update_latest",
    "resolve_run",
    "sha256_file",
    "exclusive",
    "plain_json",
    "make_dirs",
    "check_latest",
    "check_target",
    "new_run_dir",
    "recover",
    "reading",
    "reads_run",
    "clean_stale",
]

T = TypeVar("T")
CONFIG = "config.json"
WEIGHTS = "model.safetensors"
SERIES = "series.json"
_TMP_PREFIX = ".tmp-"
_OLD_PREFIX = ".old-"


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


def check_latest(runs_dir: Path) -> None:
    """Fail early when ``runs_dir/latest`` exists but is not the symlink we maintain."""
    link = runs_dir / "latest"
    if link.is_symlink():
        recover(link)  # dangling after a killed swap: put its run back
    if link.exists() and not link.is_symlink():
        raise RunError(f"{link}: exists and is not a symlink; remove it so it can track the newest run")


def check_target(target: Path) -> None:
    """``target`` may be replaced by a run: it is absent, empty, or an earlier run (it has a
    config.json). Checked before training and again before the swap; anything else is kept."""
    if target.is_symlink() or (target.exists() and not (target / CONFIG).is_file()):
        if target.is_symlink() or not target.is_dir() or any(target.iterdir()):
            what = "a file" if target.is_file() else "a symlink" if target.is_symlink() else "a directory"
            raise UsageError(
                f"--out {target}: is {what} that is not a run directory; choose another --out or remove it"
            )


def new_run_dir(runs_dir: Path, prefix: str = "") -> Path:
    """``runs_dir/<prefix><UTC time to the microsecond>-<pid>``: the one naming rule of new
    runs (train) and reports (backtest). Unique without being claimed on disk (the pid tells
    processes apart, the clock and a suffix a process's own runs), so a killed process leaves
    no empty directory behind; the staged run is renamed to it."""
    name = f"{prefix}{_now().strftime('%Y%m%dT%H%M%S.%fZ')}-{os.getpid()}"
    for k in range(1, 1000):  # only this process makes names with its pid: no race
        candidate = runs_dir / (name if k == 1 else f"{name}-{k}")
        if not candidate.exists() and not candidate.is_symlink():
            return candidate
    raise RunError(f"{runs_dir}: cannot find a free run directory name for {name}")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


_STALE_STAMP = re.compile(r"(backtest-)?\d{8}T\d{6}Z(-\d+)?")  # names older versions claimed empty
_STALE_LINK = re.compile(r"\.latest-(\d+)\.tmp")  # update_latest's symlink before its rename


def clean_stale(parent: Path) -> list[Path]:
    """Remove what killed processes left in ``parent``: staged run directories, ``latest`` and
    file temporaries, lock-owner notes, and empty run directories of older versions; a run a
    swap had moved aside (``.old-NAME-PID-*``) is put back when NAME is missing."""
    from forecast.data.output import pid_alive

    removed: list[Path] = []
    try:
        entries = list(parent.iterdir())
    except OSError:
        return removed
    host = os.uname().nodename if hasattr(os, "uname") else ""
    for entry in entries:
        name = entry.name
        stale_link = _STALE_LINK.fullmatch(name)
        if name.startswith((_TMP_PREFIX, _OLD_PREFIX)) and entry.is_dir() and not entry.is_symlink():
            parts = name.split("-")
            pid = int(parts[-2]) if len(parts) >= 3 and parts[-2].isdigit() else None
            if pid is not None and pid != os.getpid() and pid_alive(pid):
                continue
            if name.startswith(_OLD_PREFIX):
                _put_back(entry, parent / "-".join(parts[:-2])[len(_OLD_PREFIX) :])
            shutil.rmtree(entry, ignore_errors=True)
        elif stale_link and (entry.is_symlink() or not entry.is_dir()):
            pid = int(stale_link.group(1))
            if pid == os.getpid() or pid_alive(pid):
                continue
            entry.unlink(missing_ok=True)
        elif name.startswith(".") and name.endswith(".owner") and entry.is_file():
            try:
                words = entry.read_text(encoding="utf-8").split()  # "pid N on HOST"
            except (OSError, UnicodeDecodeError):
                continue
            if len(words) != 4 or not words[1].isdigit() or words[3] != host or pid_alive(int(words[1])):
                continue
            entry.unlink(missing_ok=True)
        elif _STALE_STAMP.fullmatch(name) and entry.is_dir() and not entry.is_symlink():
            try:
                entry.rmdir()  # only when empty: a run is never removed
            except OSError:
                continue
        else:
            continue
        removed.append(entry)
    return removed


def _put_back(old: Path, target: Path) -> None:
    """A swap killed between its two renames left the old run in ``old/run``: restore it."""
    if (old / "run").is_dir() and not target.exists() and not target.is_symlink():
        with contextlib.suppress(OSError):  # another process may be restoring it too
            os.rename(old / "run", target)


def recover(run: Path) -> None:
    """Before reading ``run`` (or ``runs/latest``): when it is missing or dangling, put back the
    run a killed swap left aside and remove that process's leftovers."""
    real = Path(os.path.realpath(run))
    if not real.exists():
        clean_stale(real.parent)


def _swap_pause() -> None:
    """Fault-injection hook for the tests only: FORECAST_TEST_SWAP_PAUSE=SECONDS sleeps in the
    middle of a swap so that a test can kill the process there."""
    pause = os.environ.get("FORECAST_TEST_SWAP_PAUSE")
    if pause:
        time.sleep(float(pause))


def _exchange(a: Path, b: Path) -> bool:
    """Swap the two paths in one atomic step (Linux renameat2 RENAME_EXCHANGE); False where
    the system or file system cannot."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError, TypeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


@contextlib.contextmanager
def staged_run(target: Path) -> Iterator[Path]:
    """Yield an empty temporary directory; on success it replaces ``target`` atomically.

    ``target`` may exist only as an earlier run directory (it has a config.json) or empty:
    anything else is refused rather than deleted. The old run is replaced in one atomic
    exchange where the system has one (Linux), so ``target`` always holds the old or the new
    run; elsewhere it is moved aside first and the next command puts it back if the process
    dies in between. Readers of the old run (``reading``) finish before it is replaced.
    """
    target = Path(target)
    check_target(target)
    parent = target.parent
    make_dirs(parent)
    clean_stale(parent)
    with writing(parent):
        tmp = Path(tempfile.mkdtemp(prefix=f"{_TMP_PREFIX}{target.name}-{os.getpid()}-", dir=parent))
    try:
        with writing(tmp):
            _chmod_default(tmp, 0o777)
        yield tmp
        with writing(target):
            for entry in tmp.iterdir():
                _chmod_default(entry, 0o666)
            check_target(target)
            with _locked(target, shared=False, wait=math.inf) as held:
                blocked = {signal.SIGINT, signal.SIGTERM}
                signal.pthread_sigmask(signal.SIG_BLOCK, blocked)  # never half a swap
                try:
                    _swap(tmp, target, held)
                finally:
                    signal.pthread_sigmask(signal.SIG_UNBLOCK, blocked)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _swap(tmp: Path, target: Path, exists: bool) -> None:
    """Put ``tmp`` at ``target``; the old run (if ``exists``) ends up in ``tmp`` or ``.old-``."""
    if not exists:
        os.rename(tmp, target)
    elif _exchange(tmp, target):
        _swap_pause()  # the new run is in place, the old one waits in tmp to be removed
    else:
        old = Path(tempfile.mkdtemp(prefix=f"{_OLD_PREFIX}{target.name}-{os.getpid()}-", dir=target.parent))
        os.rename(target, old / "run")
        _swap_pause()  # killed here: the next command puts the old run back (recover)
        os.rename(tmp, target)
        shutil.rmtree(old, ignore_errors=True)


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
    with writing(link):
        tmp.unlink(missing_ok=True)
        try:
            os.symlink(dest, tmp)
            os.replace(tmp, link)
        finally:
            tmp.unlink(missing_ok=True)
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


@contextlib.contextmanager
def exclusive(target: Path, wait: float, what: str) -> Iterator[None]:
    """Hold an OS file lock on ``target`` (beside it, ``.<name>.lock``) for the block.

    Waits up to ``wait`` seconds for another holder, then fails naming it. The kernel
    drops the lock when its process dies, so a killed run never blocks the next one.
    """
    from filelock import FileLock, Timeout

    make_dirs(target.parent)
    if not os.access(target.parent, os.W_OK):  # filelock would wait for the timeout instead
        code = errno.EROFS if _read_only(target.parent) else errno.EACCES
        raise OutputError.of(OSError(code, os.strerror(code)), target) or UsageError(str(target))
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
        with writing(owner):
            owner.write_text(f"pid {os.getpid()} on {os.uname().nodename}\n", encoding="utf-8")
        yield
    finally:
        owner.unlink(missing_ok=True)
        lock.release()


def _read_only(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):
        return False


@contextlib.contextmanager
def _locked(path: Path, shared: bool, wait: float) -> Iterator[bool]:
    """Hold an OS lock (flock) on the directory ``path`` itself: shared for readers, exclusive
    for the swap that replaces it. Yields whether ``path`` exists (nothing to lock if not).
    Where the system has no flock (or the file system refuses it), nothing is locked."""
    fd = _lock_fd(path, shared, time.monotonic() + wait)
    try:
        yield fd is not None or path.exists()
    finally:
        if fd is not None:
            os.close(fd)  # closing the descriptor releases the lock


def _lock_fd(path: Path, shared: bool, deadline: float) -> int | None:
    """An open descriptor of ``path`` holding its lock, or None (no ``path``, or no locks here)."""
    try:
        import fcntl
    except ImportError:
        return None
    while True:
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            got = _flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX, deadline)
        except BaseException:  # a signal while waiting
            os.close(fd)
            raise
        if got is None:  # unsupported here: go on unlocked
            os.close(fd)
            return None
        if not got:
            os.close(fd)
            raise RunError(f"{path}: a new run is being swapped in; wait for it or pass a larger --wait")
        try:
            if os.path.samestat(os.fstat(fd), os.stat(path)):  # still the directory at path
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)  # replaced while we waited: lock the new one


def _flock(fd: int, kind: int, deadline: float) -> bool | None:
    """flock without blocking signals: True once held, False at ``deadline``, None unsupported."""
    import fcntl

    while True:
        try:
            fcntl.flock(fd, kind | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
        except OSError:
            return None


@contextlib.contextmanager
def reading(run: Path, wait: float) -> Iterator[Path]:
    """Hold ``run`` against being replaced while it is read (predict): a retrain into the same
    directory waits to swap its new run in until this block ends. Repairs a run a killed swap
    left aside first; yields the run's real path (``runs/latest`` resolved once)."""
    recover(run)
    if not run.exists():
        yield run  # the reader says what is missing
        return
    real = run.resolve()
    with _locked(real, shared=True, wait=wait):
        yield real


def reads_run(fn: Callable[..., T]) -> Callable[..., T]:
    """Decorator for ``fn(run, ..., wait=...)``: it runs inside ``reading(run, wait)`` and gets
    the run's real path as ``run``."""
    sig = inspect.signature(fn)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        bound = sig.bind(*args, **kwargs)
        bound.apply_defaults()
        with reading(Path(bound.arguments["run"]), bound.arguments["wait"]) as real:
            bound.arguments["run"] = real
            return fn(*bound.args, **bound.kwargs)

    return wrapper
