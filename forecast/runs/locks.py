"""Locks on runs and output files: ``exclusive`` (one writer of a run directory or forecast
file, an OS file lock the kernel drops when its process dies), ``reading``/``reads_run`` (a
shared lock on a run while predict reads it) and the exclusive directory lock the swap takes.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import inspect
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from forecast.core.errors import OutputError, RunError, UsageError, writing
from forecast.runs.dirs import recover
from forecast.runs.files import make_dirs

__all__ = ["exclusive", "locked", "reading", "reads_run"]

T = TypeVar("T")


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
def locked(path: Path, shared: bool, wait: float) -> Iterator[bool]:
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
    with locked(real, shared=True, wait=wait):
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
