"""Option declarations added once ``options`` was full: train's ``--init`` (the warm start from
a parent run's weights, ``workflows.warm``), ``--missing-flag`` (``--fill mask``'s indicator
input) and ``--candidates`` (what validation may choose: ``workflows.choice``). Part of the CLI
layer."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from forecast.cli.options import DATA, TRAIN

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
CandidatesOpt = Annotated[
    str,
    typer.Option(
        "--candidates",
        metavar="NAMES",
        help="What validation may choose for each series, comma-separated: model (the network), comb "
        "(the mean of Theta and ETS), theta, ets. --candidates model keeps the network alone.",
        rich_help_panel=TRAIN,
    ),
]
MissingFlagOpt = Annotated[
    bool,
    typer.Option(
        "--missing-flag/--no-missing-flag",
        help="With --fill mask: one more input, 1 where a value was missing (off: measured worse).",
        rich_help_panel=DATA,
    ),
]
