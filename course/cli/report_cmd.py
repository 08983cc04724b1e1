"""``course report DIR``: the item-analysis report of a graded course, as one HTML page."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..coursefolder import CourseFolderError, require_course, resolve_modules
from ._ui import console, fail


def report(
    course_dir: Annotated[Path, typer.Argument(help="The course folder.")],
    modules: Annotated[
        list[str] | None,
        typer.Argument(help="Modules to analyse, by id or number (default: all)."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option(help="Where to write the page (default: exports/report.html).")
    ] = None,
) -> None:
    """Write item analysis (difficulty, discrimination, distractors, skills, claims) as HTML."""
    from ..report import write_report

    try:
        folder = require_course(course_dir, command="report")
        chosen = resolve_modules(folder, modules)
    except CourseFolderError as exc:
        raise fail(str(exc)) from exc
    path = write_report(folder, chosen, output)
    console.print(f"Wrote the item-analysis report: {path}")
