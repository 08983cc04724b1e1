"""``course init DIR``: a standard nbgrader course folder built from the lessons."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..coursefolder import CourseFolderError, init_course
from ..grading.sandbox import INSTALL_HINT, MODES, probe_bubblewrap
from ..lessons import LessonError
from ._ui import console, fail


def init(
    course_dir: Annotated[Path, typer.Argument(help="Folder to create (or update).")],
    modules: Annotated[
        list[str] | None, typer.Argument(help="Modules to include (default: all).")
    ] = None,
    course_id: Annotated[str, typer.Option(help="nbgrader course id.")] = "claims-and-evidence",
    db_url: Annotated[
        str | None,
        typer.Option(help="Gradebook URL (default: SQLite in the folder, 120 s busy timeout)."),
    ] = None,
    keys: Annotated[
        Path | None, typer.Option(help="Folder of answer keys (default: the repository's).")
    ] = None,
    lessons: Annotated[Path | None, typer.Option(help="Folder of lesson files.")] = None,
    show_explanations: Annotated[
        bool, typer.Option(help="Let feedback show correct answers and explanations.")
    ] = False,
    timeout: Annotated[int, typer.Option(help="Seconds one cell may run when grading.")] = 30,
    notebook_timeout: Annotated[
        int, typer.Option(help="Seconds one whole notebook may run when grading (0: no limit).")
    ] = 600,
    memory_limit: Annotated[
        int, typer.Option(help="MiB of memory a student's kernel may use (0: no limit).")
    ] = 4096,
    sandbox: Annotated[
        str | None,
        typer.Option(
            help="Isolation of student code during grading: bubblewrap (required), auto "
            "(bubblewrap where it works, else none, reported on every submission) or none. "
            "Default: bubblewrap if it works here, else auto.",
        ),
    ] = None,
    overwrite_config: Annotated[
        bool, typer.Option(help="Rewrite an existing nbgrader_config.py.")
    ] = False,
) -> None:
    """Create a standard nbgrader course folder with the course's grading steps."""
    works, detail = probe_bubblewrap()
    if sandbox is None:
        sandbox = "bubblewrap" if works else "auto"
    elif sandbox not in MODES:
        raise fail(f"Unknown --sandbox {sandbox!r}.", f"Use one of: {', '.join(MODES)}.")
    try:
        built = init_course(
            course_dir,
            modules=modules,
            lessons_dir=lessons,
            keys_dir=keys,
            course_id=course_id,
            db_url=db_url,
            show_explanations=show_explanations,
            timeout=timeout,
            notebook_timeout=notebook_timeout,
            memory_limit=memory_limit,
            sandbox=sandbox,
            overwrite_config=overwrite_config,
        )
    except (LessonError, CourseFolderError) as exc:
        raise fail(str(exc)) from exc
    console.print(f"Course folder ready: [bold]{course_dir}[/]")
    if sandbox == "none":
        console.print("Isolation: none (--sandbox none). Student code will run as your user.")
    elif works:
        console.print(
            f"Isolation: student code is graded in a {detail} sandbox (sandbox={sandbox!r})."
        )
    else:
        console.print(
            f"[yellow]Isolation: not available here: {detail}[/] {INSTALL_HINT}"
            + (" Grading will refuse to run until it is." if sandbox == "bubblewrap" else "")
        )
    for lesson in built:
        console.print(f"  source/{lesson.id}/{lesson.id}.ipynb")
    console.print(f"Next: [bold]course release {course_dir}[/]")
