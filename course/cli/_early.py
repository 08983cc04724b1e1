"""``course grade`` starts its grading workers before the command line is even built.

A grading worker spends about a second importing nbgrader; so does the
``course`` command importing its own commands. :func:`prestart` looks at the
raw arguments of ``course grade`` (the course folder, ``--jobs``,
``--scheduler``) and, when they name a course folder to grade on this machine,
starts its workers right away, so both imports run side by side on separate
cores. ``course grade`` then takes them (:func:`take`) once Typer has checked
its arguments; workers it does not take (other arguments, a course set to
grade on a cluster, an error) are stopped when the command ends. Nothing here
decides anything about the run: a wrong guess only costs the workers' start.

At the end, :func:`exit_now` ends the process without the interpreter's
teardown of every module and object (about 0.3 s), once the command has
written everything and stopped its workers.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from ..batch.runners import Runners

__all__ = ["exit_now", "prestart", "take"]

_started: dict[tuple[Path, int], Runners] = {}

#: ``course grade``'s options that take a value (so the value is not the course folder).
_VALUED = {"--jobs", "-j", "--scheduler"}


def _parse(args: list[str]) -> tuple[Path, int] | None:
    """Return (course folder, jobs) if ``args`` ask to grade on this machine, else None."""
    if not args or args[0] != "grade":
        return None
    folder: str | None = None
    jobs: int | None = None
    rest = iter(args[1:])
    for arg in rest:
        name, eq, value = arg.partition("=")
        if name in ("--scheduler", "--help"):
            return None
        if name in _VALUED:
            value = value if eq else next(rest, "")
            if not value.isdigit() or int(value) < 1:
                return None  # Typer will refuse it
            jobs = int(value)
        elif arg.startswith("-"):
            continue
        elif folder is None:
            folder = arg
    if folder is None:
        return None
    from ..batch.pool import default_jobs

    return Path(folder).resolve(), jobs or default_jobs()


def prestart(args: list[str]) -> None:
    """Start the grading workers ``course grade ARGS`` will use on this machine, if any."""
    parsed = _parse(args)
    if parsed is None:
        return
    folder, jobs = parsed
    if not (folder / "nbgrader_config.py").is_file():
        return  # not a course folder: the command says so itself
    try:
        submitted = sum(1 for entry in os.scandir(folder / "submitted") if entry.is_dir())
    except OSError:
        return
    if submitted == 0:
        return
    from ..batch.runners import Runners

    runners = Runners(folder, jobs)
    _started[parsed] = runners
    atexit.register(runners.close)
    runners.warm(submitted)


def take(folder: Path, jobs: int) -> Runners | None:
    """Return the workers started for grading ``folder`` with ``jobs`` workers, if any."""
    return _started.pop((Path(folder).resolve(), jobs), None)


def exit_now(code: object) -> NoReturn:
    """End ``course grade`` with ``code`` (as ``SystemExit`` would), skipping the teardown.

    The command has written its exports and printed its report, and its
    workers are stopped; what is left to do at exit (the ``atexit`` handlers,
    such as stopping workers never taken, and logging's shutdown) runs, the
    output is flushed, and the process ends without freeing each module and
    object one by one.
    """
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # SystemExit("message"): printed, status 1
        sys.stderr.write(f"{code}\n")
        status = 1
    atexit._run_exitfuncs()  # what a normal exit runs first
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(status)
