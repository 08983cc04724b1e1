"""``course demo``: the whole cycle on a simulated class, in a temporary course folder."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import pandas as pd
import typer
from rich.table import Table

from ..coursefolder import CourseFolderError
from ..itemcheck import TESTWISE_MARGIN
from ..paths import CourseFolder
from ._ui import console, fail, progress_bar
from .grade_cmd import print_problems

if TYPE_CHECKING:  # the demo loads jupytext and the build: imported when it runs
    from ..demo import DemoResult
    from ..itemcheck import ModuleCueScore

__all__ = [
    "demo",
    "module_marks",
    "problem_lines",
    "summary_legend",
    "summary_table",
    "testwise_lines",
]

#: A module's cell in the summary when the student scored all of its points.
FULL_MARKS = "++"
#: A module's cell in the summary when the student has no score for it.
NO_SCORE = "--"
#: How many students each kind of problem names (all are in problems.csv).
NAMED = 6


def _mark(percent: float | None) -> str:
    """Return a module's percent in two characters: ``07``, ``93``, ``++`` (all) or ``--``."""
    if percent is None or pd.isna(percent):
        return NO_SCORE
    if percent >= 100:
        return FULL_MARKS
    return f"{max(0, math.floor(percent)):02d}"  # never rounded up to look like full marks


def module_marks(row: Mapping[str, Any], modules: list[str]) -> str:
    """Return a student's module percents as one compact string, such as ``++ 64 07 --``.

    ``row`` is a row of :func:`course.demo.class_summary`; a module it lacks has no score.
    """
    return " ".join(_mark(row.get(module)) for module in modules)


def _numbers(modules: list[str]) -> str:
    """Return the modules' numbers, each above its two-character cell: ``00 01 02``."""
    return " ".join(module.split("-", 1)[0][:2].rjust(2) for module in modules)


def summary_legend(modules: list[str], *, forecasts: bool) -> list[str]:
    """Return the lines explaining the columns of :func:`summary_table`."""
    lines = [
        f"Module columns ({_numbers(modules)}): the percent of each module's points the "
        f"student scored ({FULL_MARKS} all of them, {NO_SCORE} no score)."
    ]
    if forecasts:
        lines.append(
            "Brier (00): the Brier score of the student's locked module 00 forecasts "
            "(0 is perfect; always saying 50% scores 0.25; '-' means none was locked)."
        )
    return lines


def summary_table(summary: pd.DataFrame, modules: list[str], title: str) -> Table:
    """Return the demo's summary: one compact row per student, narrow enough for 80 columns.

    Parameters
    ----------
    summary : pandas.DataFrame
        :func:`course.demo.class_summary` (``exports/demo-summary.csv``).
    modules : list of str
        The demo's modules, in the order of their columns.
    title : str
        The table's title.
    """
    numbers = _numbers(modules)
    forecasts = "brier" in summary.columns
    table = Table(title=title)
    table.add_column("Student", overflow="fold")
    table.add_column("Profile", overflow="fold")
    table.add_column("Total", justify="right", overflow="fold")
    table.add_column(numbers, overflow="fold")
    if forecasts:
        table.add_column("Brier (00)", justify="right", overflow="fold")
    for row in summary.to_dict("records"):
        profile = row["profile"] if row["profile"] != "partial" else f"p={row['ability']:.2f}"
        percent = row["percent"]
        total = "-" if pd.isna(percent) else f"{percent:.0f}%"
        cells = [str(row["student_id"]), str(profile), total, module_marks(row, modules)]
        if forecasts:
            cells.append("-" if pd.isna(row["brier"]) else f"{row['brier']:.3f}")
        table.add_row(*cells)
    return table


def problem_lines(problems_csv: Path | None) -> list[str]:
    """Return lines on ``exports/problems.csv``: how many problems of each kind, and whose.

    The list is empty when the file lists no problem (or does not exist).
    """
    if problems_csv is None or not problems_csv.exists():
        return []
    rows = pd.read_csv(problems_csv, dtype=str, keep_default_na=False)
    if rows.empty:
        return []
    lines = [f"{len(rows)} problem(s) listed in {problems_csv}:"]
    for kind, group in rows.groupby("kind", sort=True):
        students = sorted({s for s in group["student_id"] if s})
        named = ", ".join(students[:NAMED]) + (
            f" and {len(students) - NAMED} more" if len(students) > NAMED else ""
        )
        who = f" ({named})" if students else " (not tied to a student)"
        lines.append(f"  {kind}: {len(group)}{who}")
    return lines


def testwise_lines(scores: list[ModuleCueScore]) -> list[str]:
    """Return lines on the test-wise student: its score and chance on each module's choice items."""
    if not scores:
        return []
    lines = [
        "Test-wise student (answers choice items from cues alone: longest option, words",
        f"from the prompt, no absolutes) against chance; the limit is chance ± "
        f"{TESTWISE_MARGIN:g} points:",
    ]
    for s in scores:
        if not s.items:
            lines.append(f"  {s.module}: no choice items")
            continue
        over = "" if s.near_chance else " - outside the limit"
        lines.append(
            f"  {s.module}: {s.testwise_percent:.0f}% vs {s.chance_percent:.0f}% "
            f"({s.items} items){over}"
        )
    return lines


def _report(result: DemoResult, seed: int) -> None:
    """Print the summary, the problems and where everything is."""
    summary = result.summary
    assert summary is not None
    title = f"Simulated class of {len(result.roster)} (seed {seed})"
    console.print(summary_table(summary, result.modules, title))
    for line in summary_legend(result.modules, forecasts="brier" in summary.columns):
        console.print(line, markup=False, highlight=False)
    console.print("Modules: " + ", ".join(result.modules))
    for line in testwise_lines(result.testwise):
        console.print(line, markup=False, highlight=False)
    report = result.report
    listed = problem_lines(result.exports.get("problems"))
    if report.problems or report.notes or not listed:
        # With nothing in the report and nothing in problems.csv, its "No problems found" is true.
        print_problems(report)
    for line in listed:
        console.print(line, markup=False, highlight=False)
    console.print(f"Course folder: {result.course_dir}")
    for name, path in result.exports.items():
        if name != "summary":
            console.print(f"{name.capitalize()} CSV: {path}")
    console.print(f"Feedback: {CourseFolder(result.course_dir).feedback()}")
    console.print(f"Summary CSV (every module's score): {result.exports['summary']}")
    total = sum(result.timings.values())
    phases = ", ".join(f"{phase} {seconds:.0f} s" for phase, seconds in result.timings.items())
    console.print(f"Finished in {total:.0f} s ({phases}).")


def demo(
    students: Annotated[int, typer.Option(min=2, help="Size of the simulated class.")] = 12,
    seed: Annotated[int, typer.Option(help="Seed of the simulated class.")] = 2016,
    course_dir: Annotated[
        Path | None, typer.Option(help="Build here instead of a temporary folder.")
    ] = None,
    modules: Annotated[list[str] | None, typer.Argument(help="Modules (default: all).")] = None,
    fast: Annotated[
        bool,
        typer.Option(
            help="Score modules whose grading needs no code execution without starting a "
            "kernel (same scores: the simulated students write answers, not code)."
        ),
    ] = True,
) -> None:
    """Build a temporary course (SQLite gradebook), release it, submit a simulated class,
    grade it, write feedback and exports, and print a summary."""
    from ..demo import run_demo
    from ..lessons import LessonError
    from ..release import ReleaseError

    try:
        with progress_bar("Demo") as progress:
            result = run_demo(
                students,
                seed=seed,
                course_dir=course_dir,
                modules=modules,
                progress=progress,
                fast=fast,
            )
    except (LessonError, CourseFolderError, ReleaseError) as exc:
        raise fail(str(exc)) from exc
    _report(result, seed)
    if result.report.ungraded:
        raise fail(f"{result.report.ungraded} simulated submission(s) were not graded.")
