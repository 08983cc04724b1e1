"""Where the kernel runs: a student's own, or one nbgrader runs; and whose it is.

nbgrader sets the environment variable ``NBGRADER_EXECUTION`` while it runs a
notebook: ``"autograde"`` during ``nbgrader autograde`` (and so during
``course grade``) and ``"validate"`` during ``nbgrader validate``. The course's
sandbox passes it to the kernel (``course.grading.sandbox.ENV_ALLOWED``).
Cells that only make sense for a student at work (showing a live saved-answer
line, packing a zip for an LMS) check it and stay quiet while nbgrader runs.
"""

from __future__ import annotations

import getpass
import os

__all__ = ["NBGRADER_EXECUTION", "nbgrader_execution", "student_name"]

#: The environment variable nbgrader sets while it executes a notebook.
NBGRADER_EXECUTION = "NBGRADER_EXECUTION"


def nbgrader_execution() -> str | None:
    """Return how nbgrader runs this kernel (``"autograde"``, ``"validate"``), or None.

    Returns
    -------
    str or None
        The value of ``NBGRADER_EXECUTION`` when it is set and not empty;
        None in a student's own kernel.
    """
    return os.environ.get(NBGRADER_EXECUTION) or None


def student_name() -> str:
    """Return the student's user name: ``JUPYTERHUB_USER``, ``NB_USER`` or the login name.

    Some containers have no login name for their user; then ``"student"``.
    """
    for var in ("JUPYTERHUB_USER", "NB_USER"):
        name = os.environ.get(var)
        if name:
            return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (some containers)
        return "student"
