"""Staged writes of a run: it is written into ``.tmp-<name>-<pid>-<random>`` beside its
target and swapped into place (one atomic exchange where the system has one) only when every
file is there, so a crash never leaves a half run where a reader looks.
"""

from __future__ import annotations

import contextlib
import errno
import math
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from forecast.core.errors import writing
from forecast.runs.dirs import OLD_PREFIX, TMP_PREFIX, check_target, clean_stale
from forecast.runs.files import make_dirs
from forecast.runs.locks import locked

__all__ = ["staged_run"]


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
        tmp = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{target.name}-{os.getpid()}-", dir=parent))
    try:
        with writing(tmp):
            _chmod_default(tmp, 0o777)
        yield tmp
        with writing(target):
            for entry in tmp.iterdir():
                _chmod_default(entry, 0o666)
            check_target(target)
            with locked(target, shared=False, wait=math.inf) as held:
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
        old = Path(tempfile.mkdtemp(prefix=f"{OLD_PREFIX}{target.name}-{os.getpid()}-", dir=target.parent))
        os.rename(target, old / "run")
        _swap_pause()  # killed here: the next command puts the old run back (recover)
        os.rename(tmp, target)
        shutil.rmtree(old, ignore_errors=True)


def _chmod_default(path: Path, mode: int) -> None:
    """mkdtemp and safetensors create private files; give them the usual umask modes."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, mode & ~umask)
