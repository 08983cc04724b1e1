"""``course check``: validate the lessons, items, keys and data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._ui import console, fail, progress_bar


def check(
    modules: Annotated[list[str] | None, typer.Argument(help="Modules (default: all).")] = None,
    lessons: Annotated[Path | None, typer.Option(help="Folder of lesson files.")] = None,
    keys: Annotated[Path | None, typer.Option(help="Folder of answer keys.")] = None,
    execute: Annotated[
        bool,
        typer.Option(help="Also release, run and autograde a blank and a perfect student."),
    ] = True,
) -> None:
    """Check that every item has a key and every key an item, that option ids and points
    match, that keys cite sources, that the data load, and (with --execute) that a blank
    student scores 0 and a perfect one full marks."""
    # Imported here: the checks load jupytext and nbformat, which other commands do not need.
    from ..checks import run_checks
    from ..grading.sandbox import resolve_isolation

    with progress_bar("Checking") as progress:
        report = run_checks(lessons, keys, modules=modules, execute=execute, progress=progress)
    for line in report.passed:
        console.print(f"[green]✓[/] {line}")
    for finding in report.findings:
        mark = "[red]✗[/]" if finding.error else "[yellow]![/]"
        console.print(f"{mark} {finding.area}: {finding.message}")
    isolation = resolve_isolation("auto")
    mark = "[green]✓[/]" if isolation.active else "[yellow]![/]"
    console.print(f"{mark} grading: {isolation.describe()}")
    if not report.ok:
        raise fail(
            f"{sum(f.error for f in report.findings)} check(s) failed.",
            "Fix the lessons or keys named above, then run `course check` again.",
        )
    console.print("[bold green]All checks passed.[/]")
