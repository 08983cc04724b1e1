"""The ``course`` command line (instructor tools): a Typer app built in :mod:`course.cli._app`.

The command needs the ``instructor`` extra (nbgrader, Typer, PyYAML…). On a
student's install, which has only what a kernel needs, :func:`main` says so
and how to install it, instead of failing with a traceback.
"""

from __future__ import annotations

import contextlib
import sys
from typing import Any

__all__ = ["INSTRUCTOR_INSTALL", "main"]

#: How to install the instructor tools (said whenever one of them is missing).
INSTRUCTOR_INSTALL = (
    'python3 -m pip install "claims-and-evidence[instructor]" '
    '(in a clone of the course: python3 -m pip install -e ".[instructor]")'
)

#: Top-level modules of the instructor extra: missing one means that extra is not installed.
_INSTRUCTOR_MODULES = {
    "typer", "rich", "yaml", "nbgrader", "nbclient", "nbconvert", "nbformat", "jupytext",
    "jsonschema", "jinja2", "psutil", "frictionless", "jupyter_server", "jupyter_client",
    "jupyter_core", "jupyterlab_server", "setuptools",
}  # fmt: skip


def main() -> None:
    """Run the ``course`` command line."""
    from ..batch.speedups import skip_unused_imports

    skip_unused_imports()  # before the commands' imports: a second less at every start
    grading = sys.argv[1:2] == ["grade"]
    if grading:
        from ._early import prestart

        # The grading workers load nbgrader while the commands load below. Only a head
        # start: whatever goes wrong here, `course grade` starts its workers itself.
        with contextlib.suppress(Exception):
            prestart(sys.argv[1:])
    try:
        from ._app import app

        app(prog_name="course")
    except SystemExit as exc:
        if grading:
            from ._early import exit_now

            exit_now(exc.code)
        raise
    except ModuleNotFoundError as exc:
        missing = (exc.name or "").split(".")[0]
        if missing not in _INSTRUCTOR_MODULES:
            raise
        sys.stderr.write(
            f"The `course` command is for instructors, and this environment lacks its tools "
            f"({missing} is not installed). A student's environment needs only the package "
            f"itself. To run `course`, install the instructor tools: {INSTRUCTOR_INSTALL}\n"
        )
        raise SystemExit(1) from None


def __getattr__(name: str) -> Any:
    if name == "app":
        from ._app import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
