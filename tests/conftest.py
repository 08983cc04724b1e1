"""Shared fixtures: a real nbgrader course built from the fixture lesson."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_MODULE = "90-fixture"


@pytest.fixture(scope="session")
def fixture_course(tmp_path_factory) -> Path:
    """A course folder with the fixture module built and released (5 s cell timeout)."""
    from course.coursefolder import init_course
    from course.release import release_modules

    course = tmp_path_factory.mktemp("course") / "course"
    init_course(
        course,
        lessons_dir=FIXTURES / "lessons",
        keys_dir=FIXTURES / "keys",
        timeout=5,
    )
    release_modules(course, [FIXTURE_MODULE])
    return course
