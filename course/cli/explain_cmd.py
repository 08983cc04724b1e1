"""``course explain`` and ``course debrief``: answers and explanations, once a module closes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..coursefolder import CourseFolderError, course_modules, require_course, resolve_modules
from ..grading.explain import (
    ScheduleError,
    early_releases,
    explanations_released,
    parse_when,
    read_schedule,
    write_schedule,
)
from ..paths import CourseFolder
from ._ui import console, fail


def _state(schedule: dict[str, dt.datetime], module: str, now: dt.datetime) -> str:
    when = schedule.get(module)
    if when is None:
        return "hidden"
    stamp = when.strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"released since {stamp}"
        if explanations_released(schedule, module, now)
        else (f"scheduled for {stamp}")
    )


def explain(
    course_dir: Annotated[Path, typer.Argument(help="The course folder.")],
    modules: Annotated[
        list[str] | None,
        typer.Argument(help="Modules, by id or number (default: all, to show their state)."),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help="Release the modules' answers and explanations at this time: `now`, a date "
            "(2026-12-10, midnight UTC) or a time (2026-12-10T09:00, UTC unless an offset "
            "is given).",
        ),
    ] = None,
    withdraw: Annotated[
        bool, typer.Option(help="Cancel the modules' release (feedback already sent stays).")
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            help="Release even a module whose answers give away a later module's "
            "(module 00 before module 08)."
        ),
    ] = False,
) -> None:
    """Show, schedule or release each module's correct answers and explanations in feedback.

    Feedback written at or after a module's release time shows every item's correct
    answer and explanation; before it, students see their own answers and scores only.
    """
    try:
        folder = require_course(course_dir, command="explain")
        chosen = resolve_modules(folder, modules) if modules else course_modules(folder)
    except CourseFolderError as exc:
        raise fail(str(exc)) from exc
    path = CourseFolder(folder).explanations
    try:
        schedule = read_schedule(path)
        when = parse_when(at) if at else None
    except ScheduleError as exc:
        raise fail(str(exc), f"Fix or delete {path}, then run this again.") from exc
    if at and withdraw:
        raise fail("Give either --at or --withdraw, not both.")
    if (at or withdraw) and not modules:
        raise fail(
            "Name the modules to release or withdraw.",
            f"For example: course explain {course_dir} 01 --at now",
        )
    if when or withdraw:
        planned = dict(schedule)
        for module in chosen:
            if withdraw:
                planned.pop(module, None)
            else:
                assert when is not None
                planned[module] = when
        early = early_releases(planned, chosen) if when else []
        if early and not force:
            module, later = early[0]
            raise fail(
                f"{module}'s key says how its questions resolved, which {later} asks students "
                f"to work out, so its answers must not reach students before {later}'s.",
                f"Release {later} first, or both at once (course explain {course_dir} "
                f"{module} {later} --at ...); --force releases it anyway.",
            )
        schedule = planned
        write_schedule(path, schedule)
    now = dt.datetime.now(dt.UTC)
    table = Table(title=f"Answers and explanations in feedback ({path})")
    table.add_column("Module", no_wrap=True)
    table.add_column("State")
    for module in chosen:
        table.add_row(module, _state(schedule, module, now))
    console.print(table)
    released = [m for m in chosen if explanations_released(schedule, m, now)]
    if (when or withdraw) and chosen:
        names = " ".join(chosen)
        if released:
            console.print(
                f"Write the feedback again so it shows them: course grade {course_dir} {names} "
                "(unchanged submissions are not regraded), then release it, e.g. "
                f"nbgrader release_feedback {chosen[0]}."
            )
            console.print(
                f"For class: course debrief {course_dir} {chosen[0]} writes a one-page debrief."
            )
        elif withdraw:
            console.print(
                "Feedback written from now on hides the answers again; feedback students "
                "already have is unchanged."
            )
        else:
            console.print(
                "Feedback written before that time hides the answers; run `course grade` "
                "again after it to write feedback that shows them."
            )


def debrief(
    course_dir: Annotated[Path, typer.Argument(help="The course folder.")],
    modules: Annotated[list[str], typer.Argument(help="Modules, by id or number.")],
    output: Annotated[
        Path | None,
        typer.Option(help="Folder for the pages (default: debrief/ in the course folder)."),
    ] = None,
    preview: Annotated[
        bool,
        typer.Option(help="Write it before the release, marked as an instructor's preview."),
    ] = False,
) -> None:
    """Write a one-page debrief per module from its key (answers, reasons, misconceptions)."""
    from ..debrief import DebriefError, write_debrief

    try:
        folder = require_course(course_dir, command="debrief")
        chosen = resolve_modules(folder, modules)
    except CourseFolderError as exc:
        raise fail(str(exc)) from exc
    for module in chosen:
        target = (output / f"{module}.html") if output else None
        try:
            path = write_debrief(folder, module, target, preview=preview)
        except (DebriefError, ScheduleError) as exc:
            raise fail(str(exc)) from exc
        note = " (instructor's preview: shows the answers)" if preview else ""
        console.print(f"Wrote the debrief of {module}{note}: {path}")
