"""``course release DIR [MODULE…]``: generate the student versions, then check for leaks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..coursefolder import CourseFolderError
from ..release import ReleaseError, release_modules
from ._ui import console, fail


def release(
    course_dir: Annotated[Path, typer.Argument(help="The course folder.")],
    modules: Annotated[
        list[str] | None,
        typer.Argument(help="Modules to release, by id or number (default: all)."),
    ] = None,
) -> None:
    """Run nbgrader generate_assignment and fail if key material leaked into the release."""
    try:
        with console.status("Generating student versions with nbgrader…"):
            report = release_modules(course_dir, modules)
    except (ReleaseError, CourseFolderError) as exc:
        raise fail(str(exc)) from exc
    for module in report.modules:
        console.print(f"Released {module}: release/{module}/ (no key material found)")
    console.print(
        "Next: distribute with `nbgrader release_assignment MODULE` (exchange) or copy the "
        "release folders to your students."
    )
