"""``course grade DIR``: autograde, feedback, exports and a per-student list of problems."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from ..batch.cluster import ClusterError, DaskCluster, scheduler_setting
from ..batch.pool import default_jobs
from ..batch.runners import Runners
from ..batch.state import submitted_students
from ..coursefolder import CourseFolderError, require_course, resolve_modules, show_path
from ..export import PROBLEM_COLUMNS, ExportError, problems_table
from ..gradebatch import GradeReport, grade_course
from ..grading.layout import LAYOUT_KINDS
from ..grading.manifest import KeyManifestError
from ..grading.sandbox import SandboxError, course_isolation
from ..lms import LmsSettingsError
from ._early import take
from ._ui import batch_progress, console, fail


def _problem_rows(report: GradeReport) -> list[dict[str, str]]:
    """Return the rows of ``problems.csv`` this run wrote, else those its report makes."""
    if report.problem_rows is not None:
        return report.problem_rows
    table = problems_table(report)
    return [{c: str(r[c]) for c in PROBLEM_COLUMNS} for r in table.to_dict("records")]


def print_problems(report: GradeReport) -> None:
    """Print the problems of a grading run: the rows of ``exports/problems.csv``, and its notes.

    The list is printed from the same rows as ``problems.csv``
    (:attr:`GradeReport.problem_rows`), so every problem in the file, pending
    manual grades and missing answers files included, is printed too. Rows
    without a student are printed as files matched to no student (misnamed
    or misplaced submissions, :mod:`course.grading.layout`) or as notes on
    the run. Names that would hide a space or an invisible character are
    quoted (:func:`course.coursefolder.show_path`).
    """
    rows = _problem_rows(report)

    def line(row: dict[str, str]) -> str:
        return f"{row['module']}: {row['problem']}" if row["module"] else row["problem"]

    by_student: dict[str, list[str]] = {}
    unmatched: list[str] = []
    notes: list[str] = []
    for row in rows:
        text = line(row)
        if row["student_id"]:
            bucket = by_student.setdefault(row["student_id"], [])
            if text not in bucket:
                bucket.append(text)
        elif row["kind"] in LAYOUT_KINDS:
            unmatched.append(text)
        elif text not in notes:
            notes.append(text)
    # Notes added after problems.csv was written (such as the LMS files' notes).
    notes += [n for n in report.notes if n not in notes and n not in unmatched]
    if not by_student and not unmatched and not notes:
        console.print("No problems found in any submission.")
        return
    students = sorted(by_student)
    graded = {s for done in report.graded.values() for s in done}
    # A problem every graded student shares (such as grading without isolation) is shown once.
    shared = (
        [m for m in by_student[students[0]] if all(m in by_student[s] for s in students)]
        if len(students) > 1 and graded and set(students) >= graded
        else []
    )
    if shared:
        console.print(f"[bold]Problems of every submission ({len(students)} students)[/]")
        for message in shared:
            console.print(f"    - {message}", markup=False)
    own = {s: [m for m in by_student[s] if m not in shared] for s in students}
    if any(own.values()):
        console.print("[bold]Problems by student[/]")
    for student in students:
        if not own[student]:
            continue
        console.print(f"  [bold]{escape(show_path(student))}[/]")
        for message in own[student]:
            console.print(f"    - {message}", markup=False)
    if unmatched:
        console.print("[bold]Files matched to no student[/]")
    for message in unmatched:
        console.print(f"    - {message}", markup=False)
    if notes:
        console.print("[bold]Notes on this run[/]")
    for note in notes:
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


#: How many students the provisional-feedback line names before "and N more".
PROVISIONAL_NAMES = 8


def provisional_summary(report: GradeReport) -> str | None:
    """Return the one line on students whose feedback is provisional, if any.

    Feedback written while a written answer of the student's module awaited
    manual grading says so at its top (:attr:`GradeReport.provisional`). The
    line names those students (the first :data:`PROVISIONAL_NAMES`, then
    "and N more") and says what to do before releasing feedback.
    """
    students = sorted(report.provisional)
    if not students:
        return None
    names = students[:PROVISIONAL_NAMES]
    rest = len(students) - len(names)
    if rest:
        who = f"{', '.join(names)} and {rest} more"
    elif len(names) > 1:
        who = f"{', '.join(names[:-1])} and {names[-1]}"
    else:
        who = names[0]
    return (
        f"Provisional feedback (written answers not graded yet) for {who}. Grade the written "
        "answers in formgrader, run `course grade` again to rewrite the feedback, then release "
        "feedback."
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
    scheduler: Annotated[
        str | None,
        typer.Option(
            metavar="ADDRESS",
            help="Grade on the Dask cluster of this scheduler (e.g. tcp://10.0.0.5:8786), one "
            "task per submission (default: the course's Grading.scheduler setting, if set; "
            "--jobs grades on this machine instead).",
        ),
    ] = None,
) -> None:
    """Autograde everything submitted, generate feedback and export grades to CSV.

    Students are graded in parallel, one per worker; a student whose grading
    fails is retried once, then reported. The exit status is 1 if any
    submission was left ungraded, or (before anyone is graded) if the folder
    is not a course folder, a module is not one of the course's, or an answer
    key does not match the key manifest (see `course keys`).

    With --scheduler (or the course's Grading.scheduler setting) every
    submission is one task on a Dask cluster whose workers see the course
    folder at the same path; see docs/grading-at-scale.md.
    """
    if scheduler is not None and jobs is not None:
        raise fail(
            "--jobs and --scheduler cannot be used together.",
            "--jobs grades on this machine's cores, --scheduler on a Dask cluster: pick one.",
        )
    workers = jobs or default_jobs()
    with contextlib.ExitStack() as stack:
        _grade(stack, course_dir, modules, force, feedback, workers, jobs, fast, scheduler)


def _grade(
    stack: contextlib.ExitStack,
    course_dir: Path,
    modules: list[str] | None,
    force: bool,
    feedback: bool,
    workers: int,
    jobs: int | None,
    fast: bool,
    scheduler: str | None,
) -> None:
    """`course grade`'s body; the kept workers and the cluster connection close with ``stack``."""
    try:
        folder = require_course(course_dir, command="grade")
        chosen = resolve_modules(folder, modules)  # nothing is graded or written before this
        if scheduler is None:
            # This machine's workers start now: they load nbgrader while the course's
            # settings are read and checked (a course set to grade on a cluster stops them).
            local = stack.enter_context(take(folder, workers) or Runners(folder, workers))
            local.warm(sum(len(submitted_students(folder, m)) for m in chosen))
        isolation = course_isolation(folder)
        # The course's setting, unless this run names a scheduler or asks for local workers.
        address = scheduler if scheduler is not None or jobs is not None else None
        address = address if address or jobs is not None else scheduler_setting(folder)
    except (CourseFolderError, SandboxError) as exc:
        raise fail(str(exc)) from exc
    how = " (fast path where it applies)" if fast else ""
    cluster: DaskCluster | None = None
    if address:
        if scheduler is None:
            local.close()  # the course's setting sends this run to its cluster
        try:
            cluster = stack.enter_context(DaskCluster(address, folder))
        except ClusterError as exc:
            raise fail(str(exc)) from exc
        console.print(
            f"Grading on the Dask cluster at {escape(address)}: {cluster.workers} worker(s), "
            f"{cluster.threads} task(s) at once{how}"
        )
        link = cluster.dashboard_link
        if link:
            console.print(f"Dask dashboard: {escape(link)}")
    else:
        console.print(f"Grading with {workers} worker(s){how}")
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
                scheduler=cluster,
                runners=None if cluster is not None else local,
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
    provisional = provisional_summary(report)
    if provisional:
        console.print(provisional, style="yellow", markup=False)
    print_problems(report)
    if report.ungraded:
        raise fail(
            f"{report.ungraded} submission(s) could not be graded.",
            "Read the problems above, fix or replace those submissions, then run "
            "`course grade` again (graded students are skipped unless you pass --force).",
        )
