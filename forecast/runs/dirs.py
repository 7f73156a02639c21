"""Where run directories live: the naming rule of new runs, the ``latest`` link, the check
that an ``--out`` may be replaced, and the clean-up of what a killed process left behind
(staged directories, a run a swap had moved aside, temporaries, lock-owner notes).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
from pathlib import Path

from forecast.core.errors import RunError, UsageError, writing
from forecast.runs.files import CONFIG, make_dirs

__all__ = [
    "TMP_PREFIX",
    "OLD_PREFIX",
    "check_latest",
    "check_target",
    "new_run_dir",
    "clean_stale",
    "recover",
    "update_latest",
]

TMP_PREFIX = ".tmp-"  # a run being staged: .tmp-<name>-<pid>-<random>
OLD_PREFIX = ".old-"  # a run a swap moved aside: .old-<name>-<pid>-<random>


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
        if name.startswith((TMP_PREFIX, OLD_PREFIX)) and entry.is_dir() and not entry.is_symlink():
            parts = name.split("-")
            pid = int(parts[-2]) if len(parts) >= 3 and parts[-2].isdigit() else None
            if pid is not None and pid != os.getpid() and pid_alive(pid):
                continue
            if name.startswith(OLD_PREFIX):
                _put_back(entry, parent / "-".join(parts[:-2])[len(OLD_PREFIX) :])
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
