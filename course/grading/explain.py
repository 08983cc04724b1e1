"""When students may see the correct answers and their explanations: a dated release per module.

Feedback hides every correct answer and explanation until the instructor
releases them for a module, typically once it is closed. The release dates
live in the course folder, in ``explanations.json`` (grader-side: it is never
released and never in feedback)::

    {"01-close-reading": "2026-12-10T09:00:00+00:00"}

A module's explanations are shown in feedback written at or after its date
(:class:`~course.grading.preprocessors.filter_feedback.FilterFeedback`), so a
date in the future schedules the release and a date in the past releases at
once. ``course explain`` reads and writes the file; ``show_explanations =
True`` in ``nbgrader_config.py`` still releases every module at once.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from ..paths import EXPLANATIONS_FILE

__all__ = [
    "RELEASE_AFTER",
    "SCHEDULE_FILE",
    "ScheduleError",
    "early_releases",
    "explanations_released",
    "parse_when",
    "read_schedule",
    "released_modules",
    "write_schedule",
]

#: The file, in the course folder, that holds each module's release date.
SCHEDULE_FILE = EXPLANATIONS_FILE
#: Modules whose keys give away a later module's answers: release them only with, or after,
#: that module (module 00's forecast keys say how each forecast resolved, which module
#: 08's m08-resolve asks students to work out).
RELEASE_AFTER: dict[str, str] = {"00-orientation": "08-hindsight"}
#: A schedule file larger than this is not a schedule (it is read by every feedback run).
_MAX_BYTES = 64 * 1024


class ScheduleError(ValueError):
    """Raise when the schedule file or a date cannot be read."""


def parse_when(text: str) -> dt.datetime:
    """Return an aware UTC datetime for ``text``: ISO 8601, a date, or ``now``.

    A date or a time without a zone is read as UTC (``2026-12-10`` is midnight UTC).
    """
    text = text.strip()
    if text.lower() == "now":
        return dt.datetime.now(dt.UTC).replace(microsecond=0)
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ScheduleError(
            f"{text!r} is not a date: write it as 2026-12-10 or 2026-12-10T09:00 (UTC), "
            "or 2026-12-10T09:00+01:00 with its offset"
        ) from exc
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC)


def read_schedule(path: str | os.PathLike[str]) -> dict[str, dt.datetime]:
    """Return ``{module: release time}`` from a schedule file (empty when there is none).

    Raises
    ------
    ScheduleError
        If the file is not a JSON object of module ids to ISO dates.
    """
    path = Path(path)
    try:
        if path.is_symlink() or (path.exists() and not path.is_file()):
            raise ScheduleError(f"{path} is not a regular file")
        if not path.exists():
            return {}
        if path.stat().st_size > _MAX_BYTES:
            raise ScheduleError(f"{path} is larger than {_MAX_BYTES} bytes")
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ScheduleError(f"{path} cannot be read: {exc}") from exc
    if not isinstance(raw, Mapping):
        raise ScheduleError(f"{path} must hold an object of module ids to dates")
    out = {}
    for module, when in raw.items():
        if not isinstance(module, str) or not isinstance(when, str):
            raise ScheduleError(f"{path}: {module!r} must map to a date written as text")
        out[module] = parse_when(when)
    return out


def write_schedule(path: str | os.PathLike[str], schedule: Mapping[str, dt.datetime]) -> None:
    """Write ``schedule`` to ``path`` atomically (a new file, then a rename)."""
    path = Path(path)
    body = {m: schedule[m].astimezone(dt.UTC).isoformat() for m in sorted(schedule)}
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(body, out, indent=2)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def explanations_released(
    schedule: Mapping[str, dt.datetime], module: str, now: dt.datetime | None = None
) -> bool:
    """True when ``module`` has a release time at or before ``now`` (default: now)."""
    when = schedule.get(module)
    if when is None:
        return False
    return when <= (now or dt.datetime.now(dt.UTC))


def early_releases(
    schedule: Mapping[str, dt.datetime], modules: Iterable[str] | None = None
) -> list[tuple[str, str]]:
    """Return (module, later module) pairs released before the module whose answers they hold.

    A module listed in :data:`RELEASE_AFTER` must not be released earlier than
    the later module (or while that one has no release at all).
    """
    out = []
    for module in modules if modules is not None else schedule:
        later = RELEASE_AFTER.get(module)
        if later is None or module not in schedule:
            continue
        if later not in schedule or schedule[later] > schedule[module]:
            out.append((module, later))
    return out


def released_modules(
    schedule: Mapping[str, dt.datetime], modules: Iterable[str], now: dt.datetime | None = None
) -> list[str]:
    """Return the modules of ``modules`` whose explanations are released at ``now``."""
    return [m for m in modules if explanations_released(schedule, m, now)]
