"""SIGTERM and SIGINT during a command become ``Interrupted``, so staged writes are rolled back.
Part of the CLI layer.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from forecast.core.errors import Interrupted


def _raise_interrupted(signum: int, frame: Any) -> None:
    # an exception raised inside an import can land in a C++ extension's initialiser (torch's
    # pybind11), which aborts the process: ask again shortly, once the import is over
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            import threading

            again = threading.Timer(0.05, os.kill, (os.getpid(), signum))
            again.daemon = True
            again.start()
            return
        frame = frame.f_back
    raise Interrupted(signum)


@contextmanager
def interruptible() -> Iterator[None]:
    """SIGTERM and SIGINT become ``Interrupted`` so staged writes are rolled back."""
    previous = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        for s in previous:
            signal.signal(s, _raise_interrupted)
    except ValueError:  # not the main thread: leave handlers alone
        previous = {}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
