"""``course grade DIR``: autograde, feedback, exports and a per-student list of problems."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..coursefolder import CourseFolderError
from ..gradebatch import GradeReport, grade_course
from ._ui import console, fail, progress_bar


def print_problems(report: GradeReport) -> None:
    """Print the per-student list of problems at the end of a grading run."""
    if not report.problems and not report.notes:
        console.print("No problems found in any submission.")
        return
    console.print("[bold]Problems by student[/]")
    for student in sorted(report.problems):
        console.print(f"  [bold]{student}[/]")
        for message in report.problems[student]:
            console.print(f"    - {message}")
    for note in report.notes:
        console.print(f"  (batch) {note}")


def grade(
    course_dir: Annotated[Path, typer.Argument(help="The course folder.")],
    modules: Annotated[
        list[str] | None, typer.Argument(help="Modules to grade (default: all).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Re-grade students already graded.")] = False,
    feedback: Annotated[bool, typer.Option(help="Generate feedback HTML.")] = True,
) -> None:
    """Autograde everything submitted, generate feedback and export grades to CSV."""
    try:
        with progress_bar("Grading") as progress:
            report = grade_course(
                course_dir, modules, force=force, feedback=feedback, progress=progress
            )
    except CourseFolderError as exc:
        raise fail(str(exc)) from exc
    for module, students in report.graded.items():
        console.print(
            f"{module}: {len(students)} graded, {len(report.failed.get(module, []))} failed"
        )
    for name, path in report.exports.items():
        console.print(f"Wrote {name}: {path}")
    print_problems(report)
    if report.ungraded:
        raise fail(
            f"{report.ungraded} submission(s) could not be graded.",
            "Read the problems above, fix or replace those submissions, then run "
            "`course grade` again (graded students are skipped unless you pass --force).",
        )
