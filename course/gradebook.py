"""Open a course's nbgrader gradebook with the course's own configuration."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from traitlets.config.loader import PyFileConfigLoader

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from nbgrader.api import Gradebook

__all__ = ["course_config", "db_url", "open_gradebook"]


def course_config(course_dir: str | Path):
    """Return the traitlets config loaded from the course's ``nbgrader_config.py``."""
    return PyFileConfigLoader("nbgrader_config.py", path=str(course_dir)).load_config()


def db_url(course_dir: str | Path) -> str:
    """Return the gradebook URL the course's config selects."""
    from nbgrader.coursedir import CourseDirectory

    coursedir = CourseDirectory(config=course_config(course_dir))
    return coursedir.db_url


@contextlib.contextmanager
def open_gradebook(course_dir: str | Path) -> Iterator[Gradebook]:
    """Open the course's gradebook (``nbgrader.api.Gradebook``)."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url(course_dir)) as gb:
        yield gb
