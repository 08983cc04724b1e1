"""``course init DIR``: a standard nbgrader course folder built from the lessons."""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import Annotated

import typer

from ..coursefolder import CourseFolderError, init_course
from ..grading.config import (
    DEFAULT_COURSE_ID,
    exchange_problem,
    read_exchange_settings,
    set_config_values,
)
from ..grading.limits import CELL_TIMEOUT, MEMORY_LIMIT_MIB, NOTEBOOK_TIMEOUT
from ..grading.sandbox import INSTALL_HINT, MODES, probe_bubblewrap
from ..lessons import LessonError
from ..paths import CourseFolder
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
    timeout: Annotated[
        int, typer.Option(help="Seconds one cell may run when grading.")
    ] = CELL_TIMEOUT,
    notebook_timeout: Annotated[
        int, typer.Option(help="Seconds one whole notebook may run when grading (0: no limit).")
    ] = NOTEBOOK_TIMEOUT,
    memory_limit: Annotated[
        int, typer.Option(help="MiB of memory a student's kernel may use (0: no limit).")
    ] = MEMORY_LIMIT_MIB,
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
    exchange: Annotated[
        Path | None,
        typer.Option(
            help="nbgrader's exchange folder (c.Exchange.root), also set in an existing "
            "nbgrader_config.py. Students need the same one: see `course lab-setup`.",
        ),
    ] = None,
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
    if exchange is not None:
        _set_exchange(course_dir, exchange)
    console.print(f"Next: [bold]course release {course_dir}[/]")


def _set_exchange(course_dir: Path, exchange: Path) -> None:
    """Write ``c.Exchange.root`` into the course's config and say what students need."""
    config = CourseFolder(course_dir).config_file
    root = os.path.abspath(exchange)
    changed = set_config_values(config, {"Exchange.root": root}, command="init")
    try:
        _, course_id = read_exchange_settings(config)
    except Exception as exc:  # the instructor's own edits may not load
        raise fail(
            f"{config} does not load after setting the exchange folder: {exc}",
            "Correct the file (or rewrite it with --overwrite-config) and run again.",
        ) from exc
    for old, new in changed.values():
        console.print(
            f"{config}: {new}" + (f" (was: {old})" if old else ""), soft_wrap=True, highlight=False
        )
    console.print(f"Exchange folder: [bold]{root}[/], course id [bold]{course_id}[/]")
    if not course_id:
        console.print(
            f"[yellow]{config} sets no course id[/]: set c.CourseDirectory.course_id "
            "there; nbgrader's exchange commands need it."
        )
    problem = exchange_problem(root)
    if problem:
        quoted = shlex.quote(root)
        console.print(
            f"[yellow]{problem}[/] Create it before any exchange command, as nbgrader's "
            f"documentation describes: [bold]sudo mkdir -p {quoted} && sudo chmod ugo+rw "
            f"{quoted}[/]",
            soft_wrap=True,
        )
    console.print(
        "Students need the same exchange folder and course id: "
        f"[bold]course lab-setup --role student --exchange {shlex.quote(root)} "
        f"--course-id {shlex.quote(course_id or DEFAULT_COURSE_ID)}[/] "
        "(see the instructor guide).",
        soft_wrap=True,
    )
