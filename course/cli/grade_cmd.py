"""``course grade DIR``: autograde, feedback, exports and a per-student list of problems."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..batch.pool import default_jobs
from ..coursefolder import CourseFolderError, require_course, resolve_modules
from ..export import ExportError
from ..gradebatch import GradeReport, grade_course
from ..grading.manifest import KeyManifestError
from ..grading.sandbox import SandboxError, course_isolation
from ..lms import LmsSettingsError
from ._ui import batch_progress, console, fail


def print_problems(report: GradeReport) -> None:
    """Print the per-student list of problems at the end of a grading run."""
    if not report.problems and not report.notes:
        console.print("No problems found in any submission.")
        return
    students = sorted(report.problems)
    graded = {s for done in report.graded.values() for s in done}
    # A problem every graded student shares (such as grading without isolation) is shown once.
    shared = (
        [m for m in report.problems[students[0]] if all(m in report.problems[s] for s in students)]
        if len(students) > 1 and graded and set(students) >= graded
        else []
    )
    if shared:
        console.print(f"[bold]Problems of every submission ({len(students)} students)[/]")
        for message in shared:
            console.print(f"    - {message}")
    own = {s: [m for m in report.problems[s] if m not in shared] for s in students}
    if any(own.values()):
        console.print("[bold]Problems by student[/]")
    for student in students:
        if not own[student]:
            continue
        console.print(f"  [bold]{student}[/]")
        for message in own[student]:
            console.print(f"    - {message}")
    if report.notes:
        console.print("[bold]Notes on this run[/]")
    for note in report.notes:
        console.print(f"    - {note}", markup=False)


def manual_grading_summary(report: GradeReport) -> str | None:
    """Return the one line on students whose LMS scores wait for manual grading, if any."""
    waiting = len(report.manual_pending)
    if not waiting:
        return None
    who = "1 student has" if waiting == 1 else f"{waiting} students have"
    return (
        f"{who} written answers awaiting manual grading: their LMS scores are blank until you "
        "grade them in formgrader (then run `course grade` again; the list is in "
        "exports/problems.csv)."
    )


def grade(
    course_dir: Annotated[Path, typer.Argument(help="The course folder.")],
    modules: Annotated[
        list[str] | None,
        typer.Argument(help="Modules to grade, by id or number (default: all)."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Re-grade students already graded.")] = False,
    feedback: Annotated[bool, typer.Option(help="Generate feedback HTML.")] = True,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs", "-j", min=1, help="Students graded at once (default: the number of cores)."
        ),
    ] = None,
    fast: Annotated[
        bool,
        typer.Option(
            help="Score modules whose grading needs no code execution without starting a "
            "kernel (same scores; other modules still run)."
        ),
    ] = False,
) -> None:
    """Autograde everything submitted, generate feedback and export grades to CSV.

    Students are graded in parallel, one per worker; a student whose grading
    fails is retried once, then reported. The exit status is 1 if any
    submission was left ungraded, or (before anyone is graded) if the folder
    is not a course folder, a module is not one of the course's, or an answer
    key does not match the key manifest (see `course keys`).
    """
    workers = jobs or default_jobs()
    try:
        folder = require_course(course_dir, command="grade")
        chosen = resolve_modules(folder, modules)  # nothing is graded or written before this
        isolation = course_isolation(folder)
    except (CourseFolderError, SandboxError) as exc:
        raise fail(str(exc)) from exc
    console.print(
        f"Grading with {workers} worker(s){' (fast path where it applies)' if fast else ''}"
    )
    if isolation is not None:
        style = "" if isolation.active else "[yellow]"
        console.print(f"{style}{isolation.describe()}" + ("[/]" if style else ""))
    try:
        with batch_progress("Grading") as progress:
            report = grade_course(
                folder,
                chosen,
                force=force,
                feedback=feedback,
                progress=progress,
                jobs=workers,
                fast=fast,
            )
    except KeyManifestError as exc:
        raise fail(exc.problem, exc.hint) from exc
    except (CourseFolderError, LmsSettingsError, SandboxError, ExportError) as exc:
        raise fail(str(exc)) from exc
    for module, students in report.graded.items():
        skipped = len(report.skipped.get(module, []))
        how = " (fast path)" if module in report.fast else ""
        console.print(
            f"{module}{how}: {len(students)} graded ({skipped} unchanged since the last run), "
            f"{len(report.failed.get(module, []))} failed"
        )
    for name, path in report.exports.items():
        console.print(f"Wrote {name}: {path}")
    summary = manual_grading_summary(report)
    if summary:
        console.print(f"[yellow]{summary}[/]")
    print_problems(report)
    if report.ungraded:
        raise fail(
            f"{report.ungraded} submission(s) could not be graded.",
            "Read the problems above, fix or replace those submissions, then run "
            "`course grade` again (graded students are skipped unless you pass --force).",
        )
