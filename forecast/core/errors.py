"""Error types: each carries the exit code the CLI uses for it."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

__all__ = [
    "ForecastError",
    "UsageError",
    "DataError",
    "RunError",
    "TrainingError",
    "OutputError",
    "writing",
    "Interrupted",
    "PeerFailed",
]


class ForecastError(Exception):
    """Base class for every expected failure; ``exit_code`` is what the CLI exits with."""

    exit_code = 1


class UsageError(ForecastError):
    """Options that are valid one by one but not together."""

    exit_code = 2


class DataError(ForecastError):
    """The input data cannot be used: missing file, bad column, bad row, too short."""

    exit_code = 3


class RunError(ForecastError):
    """A run directory is missing, incomplete, altered or from an incompatible version."""

    exit_code = 4


class TrainingError(ForecastError):
    """Training could not produce a model: diverged, or no usable windows."""

    exit_code = 5


class OutputError(ForecastError):
    """An output could not be written: disk full, read-only file system, quota, permissions.

    Whatever was being written is removed (staged files never reach their names)."""

    exit_code = 6

    _WHAT = {  # errno name -> (message, advice)
        "ENOSPC": ("no space left on device", "free some space and run again"),
        "EDQUOT": ("disk quota exceeded", "free some space and run again"),
        "EROFS": ("read-only file system", "choose a writable path"),
        "EACCES": ("permission denied", "choose a writable path or fix its permissions"),
        "EPERM": ("permission denied", "choose a writable path or fix its permissions"),
    }

    @classmethod
    def of(cls, exc: OSError, path: object, all_errors: bool = True) -> OutputError | None:
        """The error for ``exc`` raised while writing ``path``, or None when it is another
        kind of failure; ``all_errors=False`` leaves out the permission errors, which reads
        raise too."""
        import errno

        name = errno.errorcode.get(exc.errno or 0, "")
        if name not in cls._WHAT or (not all_errors and name in ("EACCES", "EPERM")):
            return None
        what, advice = cls._WHAT[name]
        return cls(f"{what} writing {path}; {advice} (nothing was written)")


@contextlib.contextmanager
def writing(path: str | os.PathLike[str]) -> Iterator[None]:
    """Turn a disk-full, read-only or permission error raised in the block into ``OutputError``
    naming ``path`` (other OS errors pass through)."""
    try:
        yield
    except OSError as exc:
        err = OutputError.of(exc, path)
        if err is None:
            raise
        raise err from None


class Interrupted(ForecastError):
    """SIGINT (130) or SIGTERM (143) arrived; nothing partial was written."""

    def __init__(self, signum: int) -> None:
        import signal

        self.exit_code = 128 + signum
        name = signal.Signals(signum).name
        super().__init__(f"interrupted by {name}; nothing was written")


class PeerFailed(ForecastError):
    """Under torchrun: another process failed; this one stops with that process's exit code."""

    def __init__(self, message: str, exit_code: int) -> None:
        self.exit_code = exit_code
        super().__init__(message)
