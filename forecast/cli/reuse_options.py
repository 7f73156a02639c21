"""Option declarations for reusing a run (``options`` is full): train's ``--init``, the warm
start from a parent run's weights (``workflows.warm``). Part of the CLI layer."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from forecast.cli.options import TRAIN

InitOpt = Annotated[
    Optional[Path],
    typer.Option(
        "--init",
        metavar="RUN",
        help="Start from this run's weights (same network settings) and fine-tune: by default 30% "
        "of the epochs, with its schedule. Verified like any run; recorded as the parent.",
        show_default=False,
        rich_help_panel=TRAIN,
    ),
]
