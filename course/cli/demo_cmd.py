"""``course demo``: the whole cycle on a simulated class, in a temporary course folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from ..coursefolder import CourseFolderError
from ..demo import run_demo
from ..lessons import LessonError
from ..release import ReleaseError
from ._ui import console, fail, progress_bar
from .grade_cmd import print_problems


def demo(
    students: Annotated[int, typer.Option(min=2, help="Size of the simulated class.")] = 12,
    seed: Annotated[int, typer.Option(help="Seed of the simulated class.")] = 2016,
    course_dir: Annotated[
        Path | None, typer.Option(help="Build here instead of a temporary folder.")
    ] = None,
    modules: Annotated[list[str] | None, typer.Argument(help="Modules (default: all).")] = None,
) -> None:
    """Build a temporary course (SQLite gradebook), release it, submit a simulated class,
    grade it, write feedback and exports, and print a summary."""
    try:
        with progress_bar("Demo") as progress:
            result = run_demo(
                students, seed=seed, course_dir=course_dir, modules=modules, progress=progress
            )
    except (LessonError, CourseFolderError, ReleaseError) as exc:
        raise fail(str(exc)) from exc
    grades = pd.read_csv(result.exports["grades"])
    table = Table(
        title=f"Simulated class of {len(result.roster)} (seed {seed})",
        caption="Each module's score as a share of its points; exact scores are in grades.csv.",
    )
    table.add_column("Student")
    table.add_column("Profile")
    for module in result.modules:
        table.add_column(module.split("-", 1)[0], justify="right")
    table.add_column("Total", justify="right")
    brier: dict[str, float] = {}
    if result.forecasts is not None:
        table.add_column("Brier (00)", justify="right")
        scored = result.forecasts.dropna(subset=["brier"])
        brier = dict(zip(scored["student_id"], scored["brier"], strict=True))
    for student in result.roster:
        rows = grades[grades["student_id"] == student.id]
        cells = []
        for module in result.modules:
            row = rows[rows["module"] == module]
            if row.empty or not row["max_score"].iloc[0]:
                cells.append("-")
            else:
                cells.append(f"{100 * row['score'].iloc[0] / row['max_score'].iloc[0]:.0f}%")
        score, maximum = rows["score"].sum(), rows["max_score"].sum()
        pct = f"{100 * score / maximum:.0f}%" if maximum else "-"
        profile = student.profile if student.profile != "partial" else f"p={student.ability:.2f}"
        extra = []
        if result.forecasts is not None:
            extra.append(f"{brier[student.id]:.3f}" if student.id in brier else "-")
        table.add_row(student.id, profile, *cells, pct, *extra)
    console.print(table)
    console.print("Modules: " + ", ".join(result.modules))
    if result.forecasts is not None:
        console.print(
            "Brier (00): the Brier score of each student's locked module 00 forecasts "
            "(0 is perfect; always saying 50% scores 0.25; '-' means none was locked)."
        )
    print_problems(result.report)
    console.print(f"Course folder: {result.course_dir}")
    for name, path in result.exports.items():
        console.print(f"{name.capitalize()} CSV: {path}")
    console.print(f"Feedback: {result.course_dir / 'feedback'}")
    if result.report.ungraded:
        raise fail(f"{result.report.ungraded} simulated submission(s) were not graded.")
