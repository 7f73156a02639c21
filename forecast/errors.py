"""Error types: each carries the exit code the CLI uses for it."""

from __future__ import annotations

__all__ = [
    "ForecastError",
    "UsageError",
    "DataError",
    "RunError",
    "TrainingError",
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
