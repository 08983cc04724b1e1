"""``course list``: the modules, their objectives, minutes and points."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..build import cell_items
from ..lessons import LessonError, find_lessons
from ._ui import console, fail


def _points(lesson) -> tuple[float, float]:
    auto = written = 0.0
    for cell in lesson.notebook.cells:
        for spec in cell_items(cell):
            auto += spec.points if spec.graded else 0.0
        meta = cell.metadata.get("course", {}) or {}
        if cell.cell_type == "markdown" and "written" in meta:
            written += float(meta.get("points", 0))
    return auto, written


def list_modules(
    lessons: Annotated[
        Path | None, typer.Option(help="Folder of lesson files (default: the repository's).")
    ] = None,
    objectives: Annotated[bool, typer.Option(help="Show each module's objectives.")] = True,
) -> None:
    """List the modules with their objectives, estimated minutes and points."""
    try:
        found = find_lessons(lessons)
    except LessonError as exc:
        raise fail(str(exc)) from exc
    table = Table(title="Claims & Evidence modules", show_lines=objectives)
    table.add_column("Module", no_wrap=True)
    table.add_column("Title")
    table.add_column("Minutes", justify="right")
    table.add_column("Points (auto + written)", justify="right")
    if objectives:
        table.add_column("Learning objectives")
    total_minutes = 0
    for lesson in found:
        auto, written = _points(lesson)
        total_minutes += lesson.minutes
        row = [lesson.id, lesson.title, str(lesson.minutes), f"{auto:g} + {written:g}"]
        if objectives:
            row.append("\n".join(f"• {o}" for o in lesson.objectives))
        table.add_row(*row)
    console.print(table)
    console.print(f"{len(found)} modules, about {total_minutes} minutes in all.")
