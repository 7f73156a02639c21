"""A data path of "-": standard input staged in a temporary file for the length of a command, so
that it can be read more than once and its SHA-256 recorded. Part of the CLI layer.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from forecast.core.config import RunConfig


@contextmanager
def staged_file(data: str | None) -> Iterator[str | None]:
    """A data path of "-": standard input copied to a temporary file (removed afterwards), so
    that it can be read more than once and its SHA-256 recorded; other paths as they are."""
    if data != "-":
        yield data
        return
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory(prefix="forecast-stdin-") as tmp:
        staged = Path(tmp) / "stdin"
        with open(staged, "wb") as fh:
            shutil.copyfileobj(sys.stdin.buffer, fh, 1 << 20)
        yield str(staged)


@contextmanager
def staged_config(cfg: RunConfig) -> Iterator[RunConfig]:
    """``cfg`` reading standard input from its staged copy when the data path is "-"; the
    path stays "-", which is what the run records."""
    import dataclasses

    with staged_file(cfg.data.path) as staged:
        if cfg.data.path != "-":
            yield cfg
        else:
            yield dataclasses.replace(cfg, data=dataclasses.replace(cfg.data, staged=staged))
