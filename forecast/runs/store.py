"""Old home of the run-directory helpers, now split into ``files`` (names, JSON, weights),
``dirs`` (naming, ``latest``, leftovers), ``staging`` (the atomic swap) and ``locks``.
Re-exports what workflows/train.py and workflows/backtest.py still import from here.
"""

from forecast.runs.dirs import check_latest, check_target, new_run_dir, update_latest
from forecast.runs.files import CONFIG, write_json
from forecast.runs.locks import exclusive
from forecast.runs.staging import staged_run

__all__ = [
    "CONFIG",
    "check_latest",
    "check_target",
    "exclusive",
    "new_run_dir",
    "staged_run",
    "update_latest",
    "write_json",
]
